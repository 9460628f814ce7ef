import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { PromMetricsRegistry } from '../../../connectors/metrics/index.js';
import { layerMeter } from '../../../src/metrics/index.js';
import { chunkTokens, neuralMemory, tokenize, type ChunkResult } from '../../../src/pipeline/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { InMemorySnapshotStore } from '../../../src/snapshot/index.js';
import { fromIterable, pipe, toArray } from '../../../src/stream/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import { ByteTokenizer } from '../../../src/tokenize/index.js';

const memory = { dim: 8, chunkSize: 8, seed: 1 };

function records(count: number, keys: number): SourceRecord[] {
  return Array.from({ length: count }, (_, i) => ({ value: `line ${i % 7} of k${i % keys}`, position: { kind: 'stream', stream: `k${i % keys}`, index: i } }));
}

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return Number(line?.slice(name.length + 1));
}

describe('layerMeter', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('counts tokens, records and chunks, times every chunk, and passes the events through unchanged', async () => {
    const input = records(30, 3);
    const registry = new PromMetricsRegistry();
    const layer = layerMeter(registry, { numTensors: () => tf.memory().numTensors })(neuralMemory({ memory }));
    const events = await toArray(pipe(fromIterable(input), tokenize(new ByteTokenizer()), chunkTokens(8), layer));
    const plain = await toArray(pipe(fromIterable(input), tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory })));
    const strip = (e: ChunkResult) => ({ key: e.key, loss: Array.from(e.loss) });
    expect((events as ChunkResult[]).map(strip)).toEqual((plain as ChunkResult[]).map(strip));
    const text = await registry.registry.metrics();
    const tokens = (events as ChunkResult[]).reduce((s, e) => s + e.loss.length, 0);
    expect(value(text, 'titans_tokens_total')).toBe(tokens);
    expect(value(text, 'titans_records_total')).toBe(30);
    expect(value(text, 'titans_chunks_total')).toBe(events.length);
    expect(value(text, 'titans_chunk_latency_seconds_count')).toBe(events.length);
    expect(value(text, 'titans_chunk_latency_seconds_sum')).toBeGreaterThan(0);
    expect(value(text, 'titans_record_surprise_count')).toBe(30);
    // The iteration ended: no live memories left.
    expect(value(text, 'titans_live_memories')).toBe(0);
    expect(value(text, 'titans_tensors')).toBe(tf.memory().numTensors);
    expect(value(text, 'titans_record_surprise{quantile="0.5"}')).toBeGreaterThan(0);
  });

  it('adds up the layers it wraps, counts live memories while they run, and rejects a second meter on the same registry', async () => {
    const registry = new PromMetricsRegistry();
    const meter = layerMeter(registry);
    const first = meter(neuralMemory({ memory }))(pipe(fromIterable(records(12, 2)), tokenize(new ByteTokenizer()), chunkTokens(8)))[Symbol.asyncIterator]();
    await first.next();
    const second = await toArray(meter(neuralMemory({ memory }))(pipe(fromIterable(records(9, 3)), tokenize(new ByteTokenizer()), chunkTokens(8))));
    expect(second.length).toBeGreaterThan(0);
    let text = await registry.registry.metrics();
    expect(value(text, 'titans_live_memories')).toBe(1);
    for (let r = await first.next(); r.done !== true; r = await first.next());
    text = await registry.registry.metrics();
    expect(value(text, 'titans_records_total')).toBe(21);
    expect(value(text, 'titans_live_memories')).toBe(0);
    expect(() => layerMeter(registry)).toThrow(ConfigError);
  });

  it('live memories drop when a memory is evicted', async () => {
    const registry = new PromMetricsRegistry();
    const layer = layerMeter(registry)(neuralMemory({ memory, maxLiveMemories: 2, store: new InMemorySnapshotStore(), finalSnapshots: false }));
    const iterator = layer(pipe(fromIterable(records(12, 4)), tokenize(new ByteTokenizer()), chunkTokens(8)))[Symbol.asyncIterator]();
    let maxLive = 0;
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) maxLive = Math.max(maxLive, value(await registry.registry.metrics(), 'titans_live_memories'));
    expect(maxLive).toBe(2);
  });
});
