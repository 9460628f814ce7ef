export { TitansError, type TitansErrorOptions } from './titans-error.js';
export { ConfigError } from './config-error.js';
export { InputError } from './input-error.js';
export { BackendError } from './backend-error.js';
export { BufferOverflowError } from './buffer-overflow-error.js';
export { SnapshotError, type SnapshotErrorCode } from './snapshot-error.js';
export { LayerError } from './layer-error.js';
