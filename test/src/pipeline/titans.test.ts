import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, LayerError, SnapshotError } from '../../../src/errors/index.js';
import { TitansModel, titansStreamConfig, type Arch, type TitansModelConfig } from '../../../src/model/index.js';
import { chunkTokens, neuralMemory, titans, tokenize, type ChunkResult, type MemoryEvent, type SnapshotEvent } from '../../../src/pipeline/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { InMemorySnapshotStore, type MemorySnapshot } from '../../../src/snapshot/index.js';
import { fromIterable, pipe, toArray } from '../../../src/stream/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import { ByteTokenizer } from '../../../src/tokenize/index.js';
import { randomModel } from '../model/random-model.js';
import { interleave, streamRecords } from '../../support/stream-fixtures.js';

const tiny = (arch: Arch, extra: Partial<TitansModelConfig> = {}): TitansModelConfig => ({ arch, dim: 16, layers: 1, heads: 2, segment: 8, window: 12, persistent: 2, seed: 3, ...extra });

const chunksOf = (events: MemoryEvent[]) => events.filter((e): e is ChunkResult => e.type === 'chunk');
const finalOf = (events: MemoryEvent[], key: string): MemorySnapshot => {
  const e = events.find((x): x is SnapshotEvent => x.type === 'snapshot' && x.reason === 'final' && x.snapshot.key === key);
  if (e === undefined) throw new Error(`no final snapshot of ${key}`);
  return e.snapshot;
};
const lossOf = (events: MemoryEvent[], key: string) => chunksOf(events).filter((e) => e.key === key).flatMap((e) => Array.from(e.loss));

function expectClose(a: readonly number[], b: readonly number[], tolerance = 1e-4): void {
  expect(a.length).toBe(b.length);
  const worst = Math.max(0, ...a.map((x, i) => Math.abs(x - (b[i] ?? NaN))));
  expect(worst).toBeLessThanOrEqual(tolerance);
}

function expectSameState(a: MemorySnapshot, b: MemorySnapshot, tolerance = 1e-4): void {
  expect(b.state.tokensSeen).toBe(a.state.tokensSeen);
  expect(b.state.chunksApplied).toBe(a.state.chunksApplied);
  expect(b.state.arrays.map((x) => [x.name, x.shape])).toEqual(a.state.arrays.map((x) => [x.name, x.shape]));
  b.state.arrays.forEach((arr, i) => expectClose(Array.from(arr.data), Array.from(a.state.arrays[i]?.data ?? [])), tolerance);
}

describe('titans (keyed trained-model layer)', () => {
  const models = new Map<Arch, TitansModel>();
  const layer = (arch: Arch, recs: SourceRecord[], chunk: number, options: Parameters<typeof titans>[1] = {}) =>
    pipe(fromIterable(recs), tokenize(new ByteTokenizer()), chunkTokens(chunk), titans(models.get(arch) as TitansModel, options));

  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    for (const arch of ['mag', 'mac', 'lmm'] as const) models.set(arch, randomModel(tiny(arch), new SeededRandom(5), 0.2));
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it('emits nothing for an empty source and leaks no tensor', async () => {
    const before = tf.memory().numTensors;
    expect(await toArray(layer('mag', [], 8))).toEqual([]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gives per-token nll as loss and surprise, top-k predictions, and records scored whole', async () => {
    const recs = streamRecords('a', 6);
    const events = chunksOf(await toArray(layer('mag', recs, 8, { predictions: 3 })));
    const direct = (models.get('mag') as TitansModel).stream();
    const tokens = Int32Array.from(recs.flatMap((r) => [...new ByteTokenizer().encode(r.value)]));
    const expected = await direct.process(tokens, { topK: 3 });
    direct.dispose();
    expectClose(events.flatMap((e) => Array.from(e.loss)), Array.from(expected.nll));
    expect(events.every((e) => e.surprise === e.loss && e.topK?.k === 3 && e.topK.ids.length === e.loss.length * 3)).toBe(true);
    expect(events.flatMap((e) => Array.from(e.topK?.ids ?? []))).toEqual(Array.from(expected.topK?.ids ?? []));
    const scores = events.flatMap((e) => e.records);
    expect(scores.map((s) => s.record)).toEqual(recs);
    scores.forEach((s, i) => expect(s.tokens).toBe(new ByteTokenizer().encode(recs[i]?.value ?? '').length));
  });

  it.each(['mag', 'mac', 'lmm'] as const)('%s: chunks of any size give the same outputs and the same per-key state', async (arch) => {
    const recs = streamRecords('a', 9);
    const runs = await Promise.all([3, 8, 13, 1000].map((c) => toArray(layer(arch, recs, c, { finalSnapshots: true }))));
    const [reference, ...others] = runs as [MemoryEvent[], ...MemoryEvent[][]];
    for (const other of others) {
      expectClose(lossOf(other, 'a'), lossOf(reference, 'a'));
      expectSameState(finalOf(reference, 'a'), finalOf(other, 'a'));
    }
  });

  it('each key has its own stream, equal to running that key alone', async () => {
    const a = streamRecords('a', 7);
    const b = streamRecords('b', 5);
    const mixed = await toArray(layer('mag', interleave(a, b), 8));
    expectClose(lossOf(mixed, 'a'), lossOf(await toArray(layer('mag', a, 8)), 'a'));
    expectClose(lossOf(mixed, 'b'), lossOf(await toArray(layer('mag', b, 8)), 'b'));
  });

  it('a run stopped after a snapshot taken mid-record resumes exactly: same outputs, record scores and final state', async () => {
    const all = streamRecords('a', 16);
    const uninterrupted = await toArray(layer('mag', all, 5, { finalSnapshots: true }));
    const store = new InMemorySnapshotStore();
    const before: MemoryEvent[] = [];
    let saved = 0;
    for await (const e of layer('mag', all, 5, { store, snapshots: { everyChunks: 7 } })) {
      before.push(e);
      if (e.type === 'snapshot' && ++saved === 2) break; // "crash" right after the second snapshot
    }
    const snapshot = await store.load('a', { config: titansStreamConfig(models.get('mag') as TitansModel) });
    expect(snapshot?.state.kind).toBe('titans-stream');
    expect(snapshot?.covers?.recordComplete).toBe(false);
    // The restart replays everything from the beginning; covered tokens are absorbed once.
    const resumed = await toArray(layer('mag', all, 5, { store, finalSnapshots: true }));
    expectClose([...lossOf(before, 'a'), ...lossOf(resumed, 'a')], lossOf(uninterrupted, 'a'));
    const tail = chunksOf(uninterrupted).flatMap((e) => e.records).slice(-chunksOf(resumed).flatMap((e) => e.records).length);
    chunksOf(resumed)
      .flatMap((e) => e.records)
      .forEach((r, i) => {
        expect(r.record.position).toEqual(tail[i]?.record.position);
        expect(r.tokens).toBe(tail[i]?.tokens);
        expect(r.meanLoss).toBeCloseTo(tail[i]?.meanLoss ?? NaN, 4);
      });
    expectSameState(finalOf(uninterrupted, 'a'), finalOf(resumed, 'a'));
    expect(finalOf(resumed, 'a').covers).toEqual(finalOf(uninterrupted, 'a').covers);
  });

  it('evicting beyond maxLiveMemories with a store gives the same results as no cap', async () => {
    const input = interleave(streamRecords('a', 6), streamRecords('b', 6), streamRecords('c', 6));
    const free = await toArray(layer('mag', input, 8, { finalSnapshots: true }));
    const store = new InMemorySnapshotStore();
    const capped = await toArray(layer('mag', input, 8, { maxLiveMemories: 1, store }));
    expect(capped.filter((e) => e.type === 'snapshot' && e.reason === 'evicted').length).toBeGreaterThan(2);
    for (const key of ['a', 'b', 'c']) {
      expectClose(lossOf(capped, key), lossOf(free, key), 1e-6);
      const last = await store.load(key, { config: titansStreamConfig(models.get('mag') as TitansModel) });
      expectSameState(finalOf(free, key), last as MemorySnapshot, 1e-6);
    }
  });

  it('keeps numTensors flat over hundreds of chunks and frees every stream at the end', async () => {
    const before = tf.memory().numTensors;
    const counts: number[] = [];
    let chunks = 0;
    for await (const e of layer('mag', interleave(streamRecords('a', 100), streamRecords('b', 100)), 8, { maxLiveMemories: 1, store: new InMemorySnapshotStore() })) {
      if (e.type !== 'chunk') continue;
      chunks += 1;
      if (chunks % 50 === 0) counts.push(tf.memory().numTensors);
    }
    expect(chunks).toBeGreaterThan(250);
    expect(new Set(counts.slice(1)).size).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('refuses to restore a snapshot into a different model, or a memory snapshot into a model', async () => {
    const store = new InMemorySnapshotStore();
    await toArray(layer('mag', streamRecords('a', 3), 8, { store }));
    // Same configuration, other weights: the weights fingerprint tells them apart.
    const other = TitansModel.create(tiny('mag'));
    try {
      expect(other.config).toEqual((models.get('mag') as TitansModel).config);
      const attempt = toArray(pipe(fromIterable(streamRecords('a', 3)), tokenize(new ByteTokenizer()), chunkTokens(8), titans(other, { store })));
      await expect(attempt).rejects.toThrow(SnapshotError);
      await expect(toArray(pipe(fromIterable(streamRecords('a', 3)), tokenize(new ByteTokenizer()), chunkTokens(8), titans(other, { store })))).rejects.toThrow(/taken with another model \(mag, weights [0-9a-f]{16}\); this model is mag with weights [0-9a-f]{16}/);
    } finally {
      other.dispose();
    }
    const memoryStore = new InMemorySnapshotStore();
    await toArray(pipe(fromIterable(streamRecords('a', 3)), tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory: { dim: 16 }, store: memoryStore })));
    await expect(toArray(layer('mag', streamRecords('a', 3), 8, { store: memoryStore }))).rejects.toThrow(/holds a token-memory state, this layer restores titans-stream states/);
  });

  it('reports a token outside the model vocabulary as a LayerError with the key and position', async () => {
    const small = TitansModel.create(tiny('lmm', { vocabSize: 150, bosId: 149 }));
    try {
      const recs: SourceRecord[] = [{ value: 'fine', position: { kind: 'stream', stream: 'a', index: 0 } }, { value: 'caf\u00e9', position: { kind: 'stream', stream: 'a', index: 1 } }];
      const attempt = toArray(pipe(fromIterable(recs), tokenize(new ByteTokenizer()), chunkTokens(4), titans(small)));
      await expect(attempt).rejects.toBeInstanceOf(LayerError);
      await expect(toArray(pipe(fromIterable(recs), tokenize(new ByteTokenizer()), chunkTokens(4), titans(small)))).rejects.toThrow(/titans failed for key "a" at a#1: token 195/);
    } finally {
      small.dispose();
    }
  });

  it('rejects bad options at once', () => {
    const model = models.get('lmm') as TitansModel;
    expect(() => titans(model, { predictions: -1 })).toThrow(ConfigError);
    expect(() => titans(model, { predictions: 261 })).toThrow(/vocabulary size 260/);
    expect(() => titans(model, { maxLiveMemories: 0 })).toThrow(/maxLiveMemories/);
    expect(() => titans(model, { snapshots: { everyChunks: 0 } })).toThrow(/everyChunks/);
  });
});
