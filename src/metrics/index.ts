export { memoryWeightNorm } from './weight-norm.js';
export { quantile } from './quantile.js';
