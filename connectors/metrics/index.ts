export { serveMetrics, type MetricsExposition, type MetricsServer, type ServeMetricsOptions } from './serve-metrics.js';
export { PromMetricsRegistry, type PromMetricsRegistryOptions } from './prom-metrics-registry.js';
