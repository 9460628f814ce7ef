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
 * Where the library's metrics go: the few metric kinds the core needs. A small interface so
 * that the core does not depend on a metrics client; `PromMetricsRegistry` (in
 * `titans-stream/connectors/metrics`) puts it on a prom-client registry.
 *
 * @example
 * ```ts
 * const registry: MetricsRegistry = new PromMetricsRegistry();
 * registry.counter('titans_tokens_total', 'Tokens absorbed').inc(64);
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
}
