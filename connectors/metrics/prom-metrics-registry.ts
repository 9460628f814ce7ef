import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { ConfigError } from '../../src/errors/index.js';
import type { CounterMetric, GaugeMetric, MetricsRegistry, ObserverMetric } from '../../src/metrics/index.js';

/** Options of {@link PromMetricsRegistry}. */
export interface PromMetricsRegistryOptions {
  /** The prom-client registry to register on. Default: a new one (not prom-client's global registry). */
  readonly registry?: Registry;
  /** Also collect prom-client's default process metrics (resident memory, CPU, heap, event-loop lag, GC). Default false. */
  readonly defaultMetrics?: boolean;
  /** Seconds of observations a summary's quantiles cover (a sliding window). Default 600. */
  readonly summaryMaxAgeSeconds?: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/**
 * The library's {@link MetricsRegistry} on a prom-client registry: counters, gauges (collected at
 * scrape time when given a probe), histograms and summaries (quantiles over a sliding window).
 * Serve it with `serveMetrics(registry.registry, …)`, or add your own prom-client metrics to
 * {@link registry} (e.g. labelled ones).
 *
 * @example
 * ```ts
 * const metrics = new PromMetricsRegistry({ defaultMetrics: true });
 * const meter = layerMeter(metrics);
 * const server = await serveMetrics(metrics.registry, { port: 9464 });
 * ```
 */
export class PromMetricsRegistry implements MetricsRegistry {
  /** The prom-client registry the metrics are on. */
  readonly registry: Registry;
  readonly #maxAgeSeconds: number;

  /**
   * @param options - registry, default process metrics, summary window.
   * @throws {ConfigError} for a bad summary window.
   */
  constructor(options: PromMetricsRegistryOptions = {}) {
    this.registry = options.registry ?? new Registry();
    this.#maxAgeSeconds = options.summaryMaxAgeSeconds ?? 600;
    if (!(this.#maxAgeSeconds > 0)) throw new ConfigError('summaryMaxAgeSeconds', `must be positive, got ${this.#maxAgeSeconds}`);
    if (options.defaultMetrics === true) collectDefaultMetrics({ register: this.registry });
  }

  counter(name: string, help: string): CounterMetric {
    const counter = this.#checked(name, () => new Counter({ name, help, registers: [this.registry] }));
    return { inc: (value = 1) => counter.inc(value) };
  }

  gauge(name: string, help: string, collect?: () => number | Promise<number>): GaugeMetric {
    const gauge = this.#checked(name, () =>
      new Gauge({
        name,
        help,
        registers: [this.registry],
        ...(collect === undefined
          ? {}
          : {
              async collect(this: Gauge) {
                this.set(await collect());
              },
            }),
      }),
    );
    return { set: (value) => gauge.set(value) };
  }

  histogram(name: string, help: string, buckets: readonly number[]): ObserverMetric {
    const bounds = [...buckets];
    if (bounds.length === 0 || bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b <= (bounds[i - 1] as number)))) {
      throw new ConfigError(`histogram ${name} buckets`, `must be finite and strictly increasing, got ${JSON.stringify(buckets)}`);
    }
    const histogram = this.#checked(name, () => new Histogram({ name, help, buckets: bounds, registers: [this.registry] }));
    return { observe: (value) => histogram.observe(value) };
  }

  summary(name: string, help: string, quantiles: readonly number[]): ObserverMetric {
    if (quantiles.some((q) => !(q >= 0 && q <= 1))) throw new ConfigError(`summary ${name} quantiles`, `must lie in [0, 1], got ${JSON.stringify(quantiles)}`);
    const summary = this.#checked(
      name,
      () => new Summary({ name, help, percentiles: [...quantiles], maxAgeSeconds: this.#maxAgeSeconds, ageBuckets: 5, registers: [this.registry] }),
    );
    return { observe: (value) => summary.observe(value) };
  }

  /** Checks the name, then creates the metric (prom-client throws a plain Error for a taken name). */
  #checked<T>(name: string, create: () => T): T {
    if (!NAME.test(name)) throw new ConfigError('metric name', `"${name}" is not a valid Prometheus metric name`);
    if (this.registry.getSingleMetric(name) !== undefined) throw new ConfigError('metric name', `"${name}" is already registered`);
    return create();
  }
}
