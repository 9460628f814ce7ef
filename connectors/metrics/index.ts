export { serveMetrics, type MetricsServer, type ServeMetricsOptions } from './serve-metrics.js';
