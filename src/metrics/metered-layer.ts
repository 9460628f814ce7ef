import type { MemoryEvent } from '../pipeline/memory-events.js';
import type { TokenChunk } from '../pipeline/token-chunk.js';
import { tap } from '../stream/tap.js';
import type { AsyncOperator } from '../stream/types.js';
import type { MetricsRegistry } from './metrics-registry.js';

/** Options of {@link meteredLayer}. */
export interface MeteredLayerOptions {
  /** Live TensorFlow.js tensors of the layer (e.g. `tf.memory().numTensors`, or summed over a pool's workers); read at scrape time. */
  readonly numTensors?: () => number | Promise<number>;
  /** Upper bounds of the chunk latency histogram, in seconds. Default 0.5 ms … 5 s. */
  readonly latencyBuckets?: readonly number[];
  /** Quantiles of the record surprise summary. Default 0.5, 0.9, 0.99. */
  readonly surpriseQuantiles?: readonly number[];
}

const DEFAULT_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Wraps a keyed memory layer (`neuralMemory`, `neuralMemoryPool`) so that it reports to a
 * metrics registry, without changing what flows through it:
 *
 * - `titans_tokens_total`, `titans_records_total`, `titans_chunks_total` (counters: take `rate()` for per-second figures);
 * - `titans_chunk_latency_seconds` (histogram): from a chunk entering the layer to its result leaving it;
 * - `titans_record_surprise` (summary): mean per-token surprise of each completed record;
 * - `titans_live_memories` (gauge): keys with a live memory (seen and not evicted);
 * - `titans_tensors` (gauge, with `numTensors`) and `titans_resident_memory_bytes` (gauge, process RSS).
 *
 * The metrics are registered at once, so wrap one layer per registry.
 *
 * @example
 * ```ts
 * const registry = new SimpleMetricsRegistry();
 * const layer = meteredLayer(neuralMemory(), registry, { numTensors: () => tf.memory().numTensors });
 * const events = pipe(records, tokenize(tokenizer), chunkTokens(64), layer);
 * ```
 * @param layer - The memory layer.
 * @param registry - Where the metrics go.
 * @param options - tensor probe, histogram buckets, summary quantiles.
 * @returns The layer, reporting.
 * @throws {ConfigError} when the registry rejects a metric (a name already taken, bad buckets).
 */
export function meteredLayer(layer: AsyncOperator<TokenChunk, MemoryEvent>, registry: MetricsRegistry, options: MeteredLayerOptions = {}): AsyncOperator<TokenChunk, MemoryEvent> {
  const tokens = registry.counter('titans_tokens_total', 'Tokens absorbed by the memories');
  const records = registry.counter('titans_records_total', 'Records completed and scored');
  const chunks = registry.counter('titans_chunks_total', 'Chunks processed');
  const latency = registry.histogram('titans_chunk_latency_seconds', 'Time from a chunk entering the memory layer to its result leaving it', options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS);
  const surprise = registry.summary('titans_record_surprise', 'Mean per-token surprise (gradient norm) of completed records', options.surpriseQuantiles ?? [0.5, 0.9, 0.99]);
  const live = new Set<string>();
  registry.gauge('titans_live_memories', 'Keys with a live memory', () => live.size);
  if (options.numTensors !== undefined) registry.gauge('titans_tensors', 'Live TensorFlow.js tensors of the memory layer', options.numTensors);
  registry.gauge('titans_resident_memory_bytes', 'Resident set size of the process', () => process.memoryUsage.rss());

  return (source) => {
    const entered = new Map<string, number>();
    const id = (key: string, sequence: number): string => `${key}\u0000${sequence}`;
    const timed = tap((chunk: TokenChunk) => void entered.set(id(chunk.key, chunk.sequence), performance.now()))(source);
    return tap((event: MemoryEvent) => {
      if (event.type === 'snapshot') {
        if (event.reason === 'evicted') live.delete(event.snapshot.key);
        return;
      }
      live.add(event.key);
      const chunkId = id(event.key, event.chunk.sequence);
      const start = entered.get(chunkId);
      entered.delete(chunkId);
      if (start !== undefined) latency.observe((performance.now() - start) / 1000);
      chunks.inc();
      tokens.inc(event.loss.length);
      records.inc(event.records.length);
      for (const r of event.records) surprise.observe(r.meanSurprise);
    })(layer(timed));
  };
}
