import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, LayerError } from '../../../src/errors/index.js';
import { resolveTokenMemoryConfig, TokenMemory } from '../../../src/memory/index.js';
import { chunkTokens, neuralMemory, snapshots, tokenize, type ChunkResult, type MemoryEvent, type StreamMemory } from '../../../src/pipeline/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { InMemorySnapshotStore } from '../../../src/snapshot/index.js';
import { fromIterable, pipe, toArray } from '../../../src/stream/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import { ByteTokenizer } from '../../../src/tokenize/index.js';
import { expectQuietKeysSnapshotted } from '../../support/quiet-snapshots.js';
import { interleave, streamRecords, stallingSource } from '../../support/stream-fixtures.js';

const memory = { dim: 16, heads: 2, headDim: 8, chunkSize: 8, seed: 3 };

const layer = (recs: SourceRecord[], options: Parameters<typeof neuralMemory>[0] = {}) =>
  pipe(fromIterable(recs), tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory, ...options }));

const chunksOf = (events: MemoryEvent[]) => events.filter((e): e is ChunkResult => e.type === 'chunk');

/** Runs a TokenMemory directly over the tokens of `recs`, in one call. */
async function directLoss(recs: SourceRecord[]): Promise<number[]> {
  const tokenizer = new ByteTokenizer();
  const all = recs.flatMap((r) => [...tokenizer.encode(r.value)]);
  const m = TokenMemory.create({ vocabSize: 260, ...memory });
  try {
    return Array.from((await m.process(Int32Array.from(all))).loss ?? []);
  } finally {
    m.dispose();
  }
}

describe('neuralMemory (keyed layer)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('emits nothing for an empty source and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    expect(await toArray(layer([]))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('answers one chunk with one loss and surprise per token', async () => {
    const events = await toArray(layer(streamRecords('a', 1)));
    const [only] = chunksOf(events);
    expect(only?.loss.length).toBe(only?.chunk.tokens.length);
    expect(only?.surprise.every((s) => Number.isFinite(s) && s >= 0)).toBe(true);
  });

  it('gives each key its own memory, equal to a direct run over that key alone, in order', async () => {
    const a = streamRecords('a', 12);
    const b = streamRecords('b', 9);
    const events = chunksOf(await toArray(layer(interleave(a, b))));
    for (const [key, recs] of [['a', a], ['b', b]] as const) {
      const mine = events.filter((e) => e.key === key);
      expect(mine.map((e) => e.chunk.sequence)).toEqual(mine.map((_, i) => i));
      const loss = mine.flatMap((e) => Array.from(e.loss));
      const expected = await directLoss(recs);
      expect(loss.length).toBe(expected.length);
      loss.forEach((l, i) => expect(l).toBeCloseTo(expected[i] ?? NaN, 5));
    }
  });

  it('scores every record exactly once, whole, across chunk boundaries', async () => {
    const recs = streamRecords('a', 10);
    const scores = chunksOf(await toArray(layer(recs))).flatMap((e) => e.records);
    expect(scores.map((s) => s.record)).toEqual(recs);
    const tokenizer = new ByteTokenizer();
    scores.forEach((s, i) => expect(s.tokens).toBe(tokenizer.encode(recs[i]?.value ?? '').length));
    for (const s of scores) expect(s.maxLoss).toBeGreaterThanOrEqual(s.meanLoss);
  });

  it('passes an upstream error through after the results before it, and frees every tensor', async () => {
    const before = tf.memory().numTensors;
    async function* failing(): AsyncGenerator<SourceRecord> {
      yield* streamRecords('a', 3);
      throw new Error('source broke');
    }
    const seen: MemoryEvent[] = [];
    await expect(
      (async () => {
        for await (const e of pipe(failing(), tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory }))) seen.push(e);
      })(),
    ).rejects.toThrow('source broke');
    expect(seen.length).toBeGreaterThan(0);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('reports a failure inside a memory as a LayerError with the key and position', async () => {
    const broken = (): StreamMemory => {
      const real = TokenMemory.create({ vocabSize: 260, ...memory });
      return Object.assign(Object.create(real) as StreamMemory, { process: () => Promise.reject(new Error('NaN in memory')), dispose: () => real.dispose() });
    };
    const attempt = toArray(layer(streamRecords('a', 2), { create: broken }));
    await expect(attempt).rejects.toBeInstanceOf(LayerError);
    await expect(toArray(layer(streamRecords('a', 2), { create: broken }))).rejects.toThrow(/key "a" at a#0: NaN in memory/);
  });

  it('rejects bad options at once', () => {
    expect(() => neuralMemory({ memory: { chunkSize: 0 } })).toThrow(ConfigError);
    expect(() => neuralMemory({ predictions: -1 })).toThrow(/predictions/);
    expect(() => neuralMemory({ maxLiveMemories: 0 })).toThrow(/maxLiveMemories/);
    expect(() => snapshots({})).toThrow(ConfigError);
  });

  it('stops a never-ending source at once on return() and disposes every memory', async () => {
    const before = tf.memory().numTensors;
    const { source, returned } = stallingSource(streamRecords('a', 4));
    const it = pipe(source, tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory }))[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    const pending = it.next();
    await new Promise((r) => setTimeout(r, 20));
    await it.return?.();
    expect(returned()).toBe(true);
    await pending.catch(() => undefined);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('snapshots a key that went quiet once everyMs has passed, while waiting for input; not again until it absorbs more', async () => {
    await expectQuietKeysSnapshotted(neuralMemory({ memory, snapshots: { everyMs: 150 } }), 150);
  });

  it('with a cap on live memories evicts with a snapshot and restores from the store: same results as no cap', async () => {
    const input = interleave(streamRecords('a', 6), streamRecords('b', 6), streamRecords('c', 6));
    const free = chunksOf(await toArray(layer(input)));
    const store = new InMemorySnapshotStore();
    const events = await toArray(layer(input, { maxLiveMemories: 1, store, finalSnapshots: false }));
    const evicted = events.filter((e) => e.type === 'snapshot' && e.reason === 'evicted');
    expect(evicted.length).toBeGreaterThan(2);
    const capped = chunksOf(events);
    expect(capped.map((e) => e.key)).toEqual(free.map((e) => e.key));
    capped.forEach((e, i) => expect(Array.from(e.loss)).toEqual(Array.from(free[i]?.loss ?? [])));
  });

  it('resumes from a snapshot: covered input is skipped and the final memory equals an uninterrupted run', async () => {
    const all = streamRecords('a', 20);
    const uninterrupted = await toArray(layer(all, { finalSnapshots: true }));
    const store = new InMemorySnapshotStore();
    await toArray(layer(all.slice(0, 11), { store }));
    // The restart replays everything from the beginning: the layer must absorb the first 11 records only once.
    const resumed = await toArray(layer(all, { store }));
    const finalOf = (events: MemoryEvent[]) => events.find((e) => e.type === 'snapshot' && e.reason === 'final');
    const a = finalOf(uninterrupted);
    const b = finalOf(resumed);
    if (a?.type !== 'snapshot' || b?.type !== 'snapshot') throw new Error('no final snapshot');
    expect(b.snapshot.state.tokensSeen).toBe(a.snapshot.state.tokensSeen);
    expect(b.snapshot.covers).toEqual(a.snapshot.covers);
    b.snapshot.state.arrays.forEach((arr, i) => {
      const ref = a.snapshot.state.arrays[i]?.data ?? [];
      const diff = Math.max(...Array.from(arr.data, (v, j) => Math.abs(v - (ref[j] ?? NaN))));
      expect(diff).toBeLessThanOrEqual(1e-6);
    });
    const resumedRecords = chunksOf(resumed).flatMap((e) => e.records.map((r) => r.record.position));
    expect(resumedRecords.map((p) => (p.kind === 'stream' ? p.index : -1))[0]).toBe(11);
  });

  it('a run stopped after a periodic snapshot taken mid-record resumes with the same record scores', async () => {
    const all = streamRecords('a', 16);
    const uninterrupted = chunksOf(await toArray(layer(all))).flatMap((e) => e.records);
    const store = new InMemorySnapshotStore();
    let saved = 0;
    for await (const e of layer(all, { store, snapshots: { everyChunks: 5 } })) {
      if (e.type === 'snapshot' && ++saved === 2) break; // "crash" right after the second snapshot
    }
    const snapshot = await store.load('a', { config: resolveTokenMemoryConfig({ vocabSize: 260, ...memory }) });
    expect(snapshot?.covers?.recordComplete).toBe(false);
    const resumed = chunksOf(await toArray(layer(all, { store }))).flatMap((e) => e.records);
    const tail = uninterrupted.slice(uninterrupted.length - resumed.length);
    expect(resumed.map((r) => r.record.position)).toEqual(tail.map((r) => r.record.position));
    resumed.forEach((r, i) => {
      expect(r.tokens).toBe(tail[i]?.tokens);
      expect(r.meanLoss).toBeCloseTo(tail[i]?.meanLoss ?? NaN, 6);
      expect(r.maxSurprise).toBeCloseTo(tail[i]?.maxSurprise ?? NaN, 6);
    });
  });

  it('snapshots() adds periodic snapshots without stopping the stream; a stale request fails', async () => {
    const events = await toArray(snapshots({ everyChunks: 2 })(layer(streamRecords('a', 8))));
    const chunkCount = chunksOf(events).length;
    const periodic = events.filter((e) => e.type === 'snapshot');
    expect(periodic.length).toBe(Math.floor(chunkCount / 2));
    const results = chunksOf(await toArray(layer(streamRecords('a', 4))));
    await expect(results[0]?.snapshot()).rejects.toThrow(/moved past this chunk/);
  });

  it('keeps numTensors flat over a long run of many chunks', async () => {
    const before = tf.memory().numTensors;
    let chunks = 0;
    for await (const e of layer(streamRecords('a', 700))) if (e.type === 'chunk') chunks += 1;
    expect(chunks).toBeGreaterThan(1000);
    expect(tf.memory().numTensors).toBe(before);
  });
});
