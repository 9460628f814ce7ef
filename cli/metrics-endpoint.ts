import { Gauge } from 'prom-client';
import type { KafkaPartitionProgress } from '../connectors/kafka/index.js';
import { PromMetricsRegistry, serveMetrics, type MetricsServer } from '../connectors/metrics/index.js';
import { layerMeter, type LayerMeter } from '../src/metrics/index.js';
import { tf } from '../src/tensor/index.js';
import type { MemoryWorkers } from '../src/workers/index.js';
import { intOption } from './options.js';

/** Usage lines of the metrics flags, for a command's help. */
export const METRICS_USAGE = `  --metrics-port <n>     serve Prometheus metrics on http://<host>:<n>/metrics while running
                         (0 = a free port; the address is printed on stderr)
  --metrics-host <addr>  interface of the metrics endpoint (default 127.0.0.1; 0.0.0.0 for remote scrapes)`;

/** parseArgs options of the metrics flags. */
export const METRICS_OPTIONS = { 'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' } } as const;

/** A command's metrics endpoint (or its absence). */
export interface CliMetrics {
  /** Wraps a memory layer so it reports; the identity without `--metrics-port`. */
  readonly meter: LayerMeter;
  /** The registry, when serving. */
  readonly registry: PromMetricsRegistry | undefined;
  /** The running endpoint, when serving. */
  readonly server: MetricsServer | undefined;
  /** Stops the endpoint. */
  close(): Promise<void>;
}

/**
 * Live tensors of the memory layer: this thread's TensorFlow.js instance plus, with a worker
 * pool, every worker's.
 */
export function layerTensors(pool: MemoryWorkers | undefined): () => Promise<number> {
  return async () => tf.memory().numTensors + (pool === undefined ? 0 : (await pool.stats()).workers.reduce((n, w) => n + w.numTensors, 0));
}

/**
 * With `--metrics-port`, starts a Prometheus endpoint (prom-client: the layer metrics of
 * `layerMeter` and the default process metrics, resident memory among them) and prints its address
 * on stderr; without, returns a meter that changes nothing.
 *
 * @throws {UsageError} for a bad port; the listen error when the port is taken.
 */
export async function startMetrics(
  values: { readonly 'metrics-port'?: string | undefined; readonly 'metrics-host'?: string | undefined },
  numTensors: () => number | Promise<number>,
  stderr: NodeJS.WritableStream,
): Promise<CliMetrics> {
  if (values['metrics-port'] === undefined) return { meter: (layer) => layer, registry: undefined, server: undefined, close: async () => undefined };
  const port = intOption('metrics-port', values['metrics-port'], 0, 0, 65_535);
  const registry = new PromMetricsRegistry({ defaultMetrics: true });
  const meter = layerMeter(registry, { numTensors });
  const server = await serveMetrics(registry.registry, { port, host: values['metrics-host'] ?? '127.0.0.1' });
  stderr.write(`titans-stream: metrics on ${server.url}\n`);
  return { meter, registry, server, close: () => server.close() };
}

/**
 * Adds `titans_kafka_consumer_lag` (gauge, labels topic and partition): per owned partition, the
 * high watermark of its last fetch minus the next offset to process, read at scrape time.
 * Partitions no longer owned drop out.
 *
 * @param registry - The registry to add it to.
 * @param progress - Where the owned partitions stand (the pipeline's `progress()`).
 */
export function kafkaLagGauge(registry: PromMetricsRegistry, progress: () => readonly KafkaPartitionProgress[]): void {
  new Gauge({
    name: 'titans_kafka_consumer_lag',
    help: 'Records of an owned partition not yet processed (high watermark minus next offset to process)',
    labelNames: ['topic', 'partition'],
    registers: [registry.registry],
    collect(this: Gauge<'topic' | 'partition'>) {
      this.reset();
      for (const p of progress()) if (p.lag !== undefined) this.set({ topic: p.topic, partition: String(p.partition) }, p.lag);
    },
  });
}
