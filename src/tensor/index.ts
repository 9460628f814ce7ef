export { tf } from './tf.js';
export type { Tensor, Tensor1D, Tensor2D, Tensor3D, Scalar, Rank } from './tf.js';
export { initBackend, activeBackendName, BACKEND_NAMES } from './backend.js';
export type { BackendName, BackendChoice, BackendInfo, InitBackendOptions } from './backend.js';
