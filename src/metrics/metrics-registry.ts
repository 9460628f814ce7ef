/** A monotonically increasing count (Prometheus counter). */
export interface CounterMetric {
  /** Adds `value` (default 1; must be ≥ 0). */
  inc(value?: number): void;
}

/** A value that goes up and down (Prometheus gauge). */
export interface GaugeMetric {
  set(value: number): void;
}

/** A distribution of observations (Prometheus histogram or summary). */
export interface ObserverMetric {
  observe(value: number): void;
}

/**
 * Where the library's metrics go: the few metric kinds it needs, and the Prometheus text
 * exposition of them. A small interface so that any client library (prom-client, OpenTelemetry)
 * can sit behind it; {@link SimpleMetricsRegistry} is the built-in one.
 *
 * @example
 * ```ts
 * const registry: MetricsRegistry = new SimpleMetricsRegistry();
 * registry.counter('titans_tokens_total', 'Tokens absorbed').inc(64);
 * const text = await registry.metrics();
 * ```
 */
export interface MetricsRegistry {
  /** Registers a counter. @throws {ConfigError} for a bad or taken name. */
  counter(name: string, help: string): CounterMetric;
  /** Registers a gauge; `collect`, if given, sets its value at every scrape. @throws {ConfigError} for a bad or taken name. */
  gauge(name: string, help: string, collect?: () => number | Promise<number>): GaugeMetric;
  /** Registers a histogram with these upper bucket bounds. @throws {ConfigError} for a bad or taken name or bad buckets. */
  histogram(name: string, help: string, buckets: readonly number[]): ObserverMetric;
  /** Registers a summary reporting these quantiles (0–1) of its recent observations. @throws {ConfigError} for a bad or taken name or quantile. */
  summary(name: string, help: string, quantiles: readonly number[]): ObserverMetric;
  /** Every metric in the Prometheus text exposition format (collecting gauges first). */
  metrics(): Promise<string>;
  /** The HTTP content type of {@link metrics}. */
  readonly contentType: string;
}
