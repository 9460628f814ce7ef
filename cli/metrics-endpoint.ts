import { serveMetrics, type MetricsServer } from '../connectors/metrics/index.js';
import { meteredLayer, SimpleMetricsRegistry } from '../src/metrics/index.js';
import type { MemoryEvent, TokenChunk } from '../src/pipeline/index.js';
import type { AsyncOperator } from '../src/stream/index.js';
import { intOption } from './options.js';

/** Usage lines of the metrics flags, for a command's help. */
export const METRICS_USAGE = `  --metrics-port <n>     serve Prometheus metrics on http://<host>:<n>/metrics while running
  --metrics-host <addr>  interface of the metrics endpoint (default 127.0.0.1; 0.0.0.0 for remote scrapes)`;

/** parseArgs options of the metrics flags. */
export const METRICS_OPTIONS = { 'metrics-port': { type: 'string' }, 'metrics-host': { type: 'string' } } as const;

/** A layer that reports to a metrics endpoint, and how to stop the endpoint. */
export interface MeteredRun {
  readonly layer: AsyncOperator<TokenChunk, MemoryEvent>;
  readonly server: MetricsServer | undefined;
  close(): Promise<void>;
}

/**
 * With `--metrics-port`, wraps `layer` so it reports to a registry served over HTTP; without,
 * returns `layer` unchanged.
 *
 * @throws {UsageError} for a bad port; the listen error when the port is taken.
 */
export async function meteredRun(
  values: { readonly 'metrics-port'?: string | undefined; readonly 'metrics-host'?: string | undefined },
  layer: AsyncOperator<TokenChunk, MemoryEvent>,
  numTensors: () => number | Promise<number>,
): Promise<MeteredRun> {
  if (values['metrics-port'] === undefined) return { layer, server: undefined, close: async () => undefined };
  const port = intOption('metrics-port', values['metrics-port'], 0, 0, 65_535);
  const registry = new SimpleMetricsRegistry();
  const metered = meteredLayer(layer, registry, { numTensors });
  const server = await serveMetrics(registry, { port, host: values['metrics-host'] ?? '127.0.0.1' });
  return { layer: metered, server, close: () => server.close() };
}
