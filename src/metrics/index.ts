export { memoryWeightNorm } from './weight-norm.js';
export { quantile } from './quantile.js';
export type { CounterMetric, GaugeMetric, MetricsRegistry, ObserverMetric } from './metrics-registry.js';
export { layerMeter, type LayerMeter, type LayerMeterOptions } from './layer-meter.js';
