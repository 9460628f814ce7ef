export { memoryWeightNorm } from './weight-norm.js';
export { quantile } from './quantile.js';
export type { CounterMetric, GaugeMetric, MetricsRegistry, ObserverMetric } from './metrics-registry.js';
export { SimpleMetricsRegistry, type SimpleMetricsRegistryOptions } from './simple-metrics-registry.js';
export { meteredLayer, type MeteredLayerOptions } from './metered-layer.js';
