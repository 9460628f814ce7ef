import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, LayerError } from '../../../src/errors/index.js';
import { chunkTokens, neuralMemory, tokenize, type ChunkResult, type MemoryEvent, type NeuralMemoryOptions, type SnapshotEvent, type TokenChunk } from '../../../src/pipeline/index.js';
import { resolveTokenMemoryConfig, type TokenMemoryResult } from '../../../src/memory/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { InMemorySnapshotStore } from '../../../src/snapshot/index.js';
import { fromIterable, pipe, toArray } from '../../../src/stream/index.js';
import { initBackend } from '../../../src/tensor/index.js';
import { BYTE_VOCAB_SIZE, ByteTokenizer } from '../../../src/tokenize/index.js';
import { MemoryWorkers, neuralMemoryPool, shardOf, type NeuralMemoryPoolOptions } from '../../../src/workers/index.js';
import { waitUntil } from '../../support/kafka-env.js';
import { expectQuietKeysSnapshotted } from '../../support/quiet-snapshots.js';
import { interleave, streamRecords } from '../../support/stream-fixtures.js';

const memory = { dim: 16, heads: 2, headDim: 8, chunkSize: 8, seed: 3 };

const chunks = (source: AsyncIterable<SourceRecord> | Iterable<SourceRecord>) => pipe(fromIterable(source), tokenize(new ByteTokenizer()), chunkTokens(8));
const single = (recs: SourceRecord[], options: NeuralMemoryOptions = {}) => toArray(neuralMemory({ memory, ...options })(chunks(recs)));
const pooled = (recs: SourceRecord[], options: NeuralMemoryPoolOptions = {}) => toArray(neuralMemoryPool({ memory, workers: 2, ...options })(chunks(recs)));

/** An event without its snapshot() function and timestamps, for comparison. */
function plain(event: MemoryEvent): unknown {
  if (event.type === 'chunk') {
    const { snapshot: _, ...rest } = event;
    return rest;
  }
  const { createdAt: _, ...snapshot } = event.snapshot;
  return { ...event, snapshot };
}

// Four keys that fall on both workers of a pool of two.
const keys = ['a', 'b', 'c', 'd'];

describe('neuralMemoryPool (keyed layer over worker threads)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    expect(new Set(keys.map((k) => shardOf(k, 2))).size).toBe(2);
  });

  it('emits the same events in the same order as neuralMemory, for several keys over two workers', async () => {
    const input = interleave(...keys.map((k, i) => streamRecords(k, 8 + 3 * i)));
    const store = () => new InMemorySnapshotStore();
    const options = { predictions: 2, retrievals: true, snapshots: { everyChunks: 3 } } as const;
    const [expected, actual] = [await single(input, { ...options, store: store() }), await pooled(input, { ...options, store: store() })];
    expect(actual.length).toBe(expected.length);
    expect(actual.filter((e) => e.type === 'snapshot').length).toBeGreaterThan(keys.length);
    expect(actual.map(plain)).toEqual(expected.map(plain));
  });

  it('evicts beyond maxLiveMemories and restores from the store: same results as the single-thread layer', async () => {
    const input = interleave(...keys.map((k) => streamRecords(k, 6)));
    const options = { maxLiveMemories: 2, finalSnapshots: false } as const;
    const expected = await single(input, { ...options, store: new InMemorySnapshotStore() });
    const actual = await pooled(input, { ...options, store: new InMemorySnapshotStore(), maxInFlight: 2 });
    expect(actual.filter((e) => e.type === 'snapshot' && e.reason === 'evicted').length).toBeGreaterThan(2);
    expect(actual.map(plain)).toEqual(expected.map(plain));
  });

  it('emits nothing for an empty source; snapshot() works while no later chunk of the key has been read', async () => {
    expect(await pooled([], { workers: 1 })).toEqual([]);
    const pipelined = neuralMemoryPool({ memory, workers: 1, maxInFlight: 4 })(chunks(streamRecords('a', 6)))[Symbol.asyncIterator]();
    const first = (await pipelined.next()).value as ChunkResult;
    await expect(first.snapshot()).rejects.toThrow(/moved past this chunk/);
    await pipelined.return?.();
    const iterator = neuralMemoryPool({ memory, workers: 1, maxInFlight: 1, finalSnapshots: true })(chunks(streamRecords('a', 3)))[Symbol.asyncIterator]();
    let lastChunk: ChunkResult | undefined;
    let final: SnapshotEvent | undefined;
    let fromChunk;
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) {
      if (r.value.type === 'chunk') lastChunk = r.value;
      else {
        final = r.value;
        // The source has ended: nothing was read after the last chunk.
        fromChunk = await lastChunk?.snapshot();
      }
    }
    expect(lastChunk).toBeDefined();
    expect(fromChunk?.state).toEqual(final?.snapshot.state);
  });

  it('reports a failure inside a worker as a LayerError with the key and position', async () => {
    // Byte tokens above the vocabulary fail in the worker's memory.
    const bad = [...streamRecords('a', 2), { value: 'zzz', position: { kind: 'stream', stream: 'a', index: 2 } } as SourceRecord];
    const attempt = toArray(neuralMemoryPool({ memory: { ...memory, vocabSize: 100 }, workers: 1 })(chunks(bad)));
    await expect(attempt).rejects.toBeInstanceOf(LayerError);
    await expect(toArray(neuralMemoryPool({ memory: { ...memory, vocabSize: 100 }, workers: 1 })(chunks(bad)))).rejects.toThrow(/neuralMemoryPool failed for key "a" at a#\d: token id 1\d\d/);
  });

  it('passes an upstream error through after the results of every chunk before it, as neuralMemory does', async () => {
    async function* failing(): AsyncGenerator<SourceRecord> {
      yield* interleave(streamRecords('a', 6), streamRecords('b', 6));
      throw new Error('source broke');
    }
    const collect = async (layer: (source: AsyncIterable<TokenChunk>) => AsyncIterable<MemoryEvent>): Promise<MemoryEvent[]> => {
      const seen: MemoryEvent[] = [];
      await expect(
        (async () => {
          for await (const e of layer(chunks(failing()))) seen.push(e);
        })(),
      ).rejects.toThrow('source broke');
      return seen;
    };
    const expected = await collect(neuralMemory({ memory }));
    const actual = await collect(neuralMemoryPool({ memory, workers: 2 }));
    expect(expected.length).toBeGreaterThan(4);
    expect(actual.map(plain)).toEqual(expected.map(plain));
  });

  it('return() on a never-ending source stops the source and closes every worker; tensors stay flat meanwhile', async () => {
    let returned = false;
    let index = 0;
    const endless: AsyncIterable<SourceRecord> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: { value: `k${index % 3} line ${index % 17}`, position: { kind: 'stream', stream: `k${index % 3}`, index: index++ } } }),
        return: async () => ((returned = true), { done: true, value: undefined }),
      }),
    };
    const pool = neuralMemoryPool({ memory, workers: 2, maxInFlight: 3 });
    const tensors: number[] = [];
    let seen = 0;
    for await (const event of pool(chunks(endless))) {
      if (event.type !== 'chunk') continue;
      seen += 1;
      if (seen % 40 === 0) {
        const stats = await pool.stats();
        expect(stats.workers).toHaveLength(2);
        tensors.push(stats.workers.reduce((sum, w) => sum + w.numTensors, 0));
      }
      if (seen === 200) break;
    }
    expect(returned).toBe(true);
    expect(new Set(tensors).size).toBe(1);
    expect((await pool.stats()).workers).toEqual([]);
  });

  it('snapshots a key that went quiet once everyMs has passed (taken from its worker while waiting for input); not again until it absorbs more', async () => {
    await expectQuietKeysSnapshotted(neuralMemoryPool({ memory, workers: 2, snapshots: { everyMs: 150 } }), 150);
  });

  it('holds the source back: at most 2 × maxInFlight chunks per worker are read ahead while the consumer waits', async () => {
    let pulled = 0;
    async function* counted(): AsyncGenerator<SourceRecord> {
      for (const r of streamRecords('a', 400)) {
        pulled += 1;
        yield r;
      }
    }
    const iterator = neuralMemoryPool({ memory, workers: 1, maxInFlight: 2 })(chunks(counted()))[Symbol.asyncIterator]();
    await iterator.next();
    await new Promise((r) => setTimeout(r, 300));
    // One record is about 1.6 chunks: 4 read ahead + 1 emitted + 1 held + the chunker's partial chunk.
    expect(pulled).toBeLessThanOrEqual(6);
    expect(pulled).toBeGreaterThanOrEqual(3);
    await iterator.return?.();
  });

  it("keeps a worker busy while the other worker's result is due first: a worker's place frees when it answers, not when its result is emitted", async () => {
    // A stand-in for the worker threads whose answers the test controls: key "a" (worker 0) answers only when released.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let answeredForB = 0;
    const fake = {
      size: 2,
      config: resolveTokenMemoryConfig({ vocabSize: BYTE_VOCAB_SIZE, ...memory }),
      ready: async () => undefined,
      shardOf: (key: string) => (key === 'a' ? 0 : 1),
      open: (key: string) => ({
        tokensSeen: 0,
        process: async (tokens: Int32Array): Promise<TokenMemoryResult> => {
          if (key === 'a') await released;
          else answeredForB += 1;
          return { count: tokens.length, firstIndex: 0, loss: new Float32Array(tokens.length), surprise: new Float32Array(tokens.length) };
        },
        exportState: async () => ({}),
        importState: () => undefined,
        dispose: () => undefined,
      }),
      stats: async () => ({ workers: [] }),
    } as unknown as MemoryWorkers;
    const input = [...streamRecords('a', 1), ...streamRecords('b', 12)];
    const iterator = neuralMemoryPool({ pool: fake, maxInFlight: 2 })(chunks(input))[Symbol.asyncIterator]();
    const first = iterator.next();
    // "a" is first in input order and unanswered: nothing can be emitted, yet worker 1 goes on up to
    // the read-ahead (2 × maxInFlight × 2 workers = 8 chunks read, minus a's), well past its 2 places.
    await waitUntil('worker 1 to answer past maxInFlight', () => answeredForB >= 5, 5000);
    expect(answeredForB).toBeLessThanOrEqual(7);
    release();
    const events = [(await first).value as MemoryEvent];
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) events.push(r.value);
    const keysInOrder = events.filter((e): e is ChunkResult => e.type === 'chunk').map((e) => e.key);
    // Emitted in input order all the same.
    expect(keysInOrder).toEqual((await toArray(chunks(input))).map((c) => c.key));
    expect(keysInOrder[0]).toBe('a');
  });

  it('shares running workers (MemoryWorkers) between iterations, at once and one after another; a key opened again starts afresh', async () => {
    const workers = new MemoryWorkers({ workers: 2, memory });
    try {
      const layer = neuralMemoryPool({ pool: workers });
      const a = interleave(streamRecords('a', 9), streamRecords('b', 7));
      const c = interleave(streamRecords('c', 8), streamRecords('d', 5));
      const [expectedA, expectedC] = [await single(a), await single(c)];
      // Two iterations at the same time on the same threads, then the first input again (its keys open new, empty memories).
      const [actualA, actualC] = await Promise.all([toArray(layer(chunks(a))), toArray(layer(chunks(c)))]);
      expect(actualA.map(plain)).toEqual(expectedA.map(plain));
      expect(actualC.map(plain)).toEqual(expectedC.map(plain));
      expect((await toArray(layer(chunks(a)))).map(plain)).toEqual(expectedA.map(plain));
      // Every iteration disposed its memories; the threads still run.
      const stats = await layer.stats();
      expect(stats.workers.map((w) => w.memories)).toEqual([0, 0]);
      expect(stats.workers.reduce((n, w) => n + w.chunks, 0)).toBe(2 * expectedA.length + expectedC.length);
    } finally {
      await workers.close();
    }
    expect((await workers.stats()).workers).toEqual([]);
    expect(() => workers.open('a')).toThrow(/closed/);
    expect(() => neuralMemoryPool({ pool: workers, workers: 2 })).toThrow(ConfigError);
    expect(() => neuralMemoryPool({ pool: workers, memory: { ...memory, seed: 4 } })).toThrow(/pool's workers/);
  });

  it('rejects bad options at once', () => {
    expect(() => neuralMemoryPool({ workers: 0 })).toThrow(ConfigError);
    expect(() => neuralMemoryPool({ maxInFlight: 1.5 })).toThrow(/maxInFlight/);
    expect(() => neuralMemoryPool({ memory: { chunkSize: 0 } })).toThrow(ConfigError);
    expect(() => neuralMemoryPool({ predictions: -1 })).toThrow(/predictions/);
  });
});
