import type { MemoryEvent } from '../pipeline/memory-events.js';
import type { TokenChunk } from '../pipeline/token-chunk.js';
import { tap } from '../stream/tap.js';
import type { AsyncOperator } from '../stream/types.js';
import type { MetricsRegistry } from './metrics-registry.js';

/** Options of {@link layerMeter}. */
export interface LayerMeterOptions {
  /** Live TensorFlow.js tensors of the layers (e.g. `tf.memory().numTensors`, plus a pool's workers); read at scrape time. */
  readonly numTensors?: () => number | Promise<number>;
  /** Upper bounds of the chunk latency histogram, in seconds. Default 0.5 ms … 5 s. */
  readonly latencyBuckets?: readonly number[];
  /** Quantiles of the record surprise summary. Default 0.5, 0.9, 0.99. */
  readonly surpriseQuantiles?: readonly number[];
}

/** Wraps keyed memory layers so that they report to one set of metrics (see {@link layerMeter}). */
export type LayerMeter = (layer: AsyncOperator<TokenChunk, MemoryEvent>) => AsyncOperator<TokenChunk, MemoryEvent>;

const DEFAULT_LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * Registers the metrics of keyed memory layers (`neuralMemory`, `neuralMemoryPool`) and returns
 * a wrapper that makes a layer report to them, without changing what flows through it. Wrap as
 * many layers as you like (e.g. one per Kafka partition): they add up.
 *
 * - `titans_tokens_total`, `titans_records_total`, `titans_chunks_total` (counters: take `rate()` for per-second figures);
 * - `titans_chunk_latency_seconds` (histogram): from a chunk entering the layer to its result leaving it;
 * - `titans_record_surprise` (summary): mean per-token surprise of each completed record;
 * - `titans_live_memories` (gauge): keys with a live memory (seen, and neither evicted nor ended);
 * - `titans_tensors` (gauge, with `numTensors`).
 *
 * @example
 * ```ts
 * const meter = layerMeter(new PromMetricsRegistry(), { numTensors: () => tf.memory().numTensors });
 * const events = pipe(records, tokenize(tokenizer), chunkTokens(64), meter(neuralMemory()));
 * ```
 * @param registry - Where the metrics go (registered at once: one meter per registry).
 * @param options - tensor probe, histogram buckets, summary quantiles.
 * @returns The wrapper.
 * @throws {ConfigError} when the registry rejects a metric (a name already taken, bad buckets).
 */
export function layerMeter(registry: MetricsRegistry, options: LayerMeterOptions = {}): LayerMeter {
  const tokens = registry.counter('titans_tokens_total', 'Tokens absorbed by the memories');
  const records = registry.counter('titans_records_total', 'Records completed and scored');
  const chunks = registry.counter('titans_chunks_total', 'Chunks processed');
  const latency = registry.histogram('titans_chunk_latency_seconds', 'Time from a chunk entering the memory layer to its result leaving it', options.latencyBuckets ?? DEFAULT_LATENCY_BUCKETS);
  const surprise = registry.summary('titans_record_surprise', 'Mean per-token surprise (gradient norm) of completed records', options.surpriseQuantiles ?? [0.5, 0.9, 0.99]);
  /** Live keys of every wrapped layer's running iterations. */
  const live = new Set<Set<string>>();
  registry.gauge('titans_live_memories', 'Keys with a live memory', () => [...live].reduce((n, keys) => n + keys.size, 0));
  if (options.numTensors !== undefined) registry.gauge('titans_tensors', 'Live TensorFlow.js tensors of the memory layers', options.numTensors);

  return (layer) => (source) => {
    const entered = new Map<string, number>();
    const keys = new Set<string>();
    const id = (key: string, sequence: number): string => `${key}\u0000${sequence}`;
    const timed = tap((chunk: TokenChunk) => void entered.set(id(chunk.key, chunk.sequence), performance.now()))(source);
    const metered = tap((event: MemoryEvent) => {
      if (event.type === 'snapshot') {
        if (event.reason === 'evicted') keys.delete(event.snapshot.key);
        return;
      }
      keys.add(event.key);
      const chunkId = id(event.key, event.chunk.sequence);
      const start = entered.get(chunkId);
      entered.delete(chunkId);
      if (start !== undefined) latency.observe((performance.now() - start) / 1000);
      chunks.inc();
      tokens.inc(event.loss.length);
      records.inc(event.records.length);
      for (const r of event.records) surprise.observe(r.meanSurprise);
    })(layer(timed));
    return {
      async *[Symbol.asyncIterator]() {
        live.add(keys);
        try {
          yield* metered;
        } finally {
          live.delete(keys);
        }
      },
    };
  };
}
