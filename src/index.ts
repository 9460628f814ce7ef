/**
 * titans-stream core: stream primitives, tensor backend, tokenizers, neural memory, errors.
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './records/index.js';
export * from './tensor/index.js';
export * from './random/index.js';
export * from './tokenize/index.js';
export * from './sample/index.js';
export * from './stream/index.js';
export * from './pipeline/index.js';
export * from './memory/index.js';
export * from './snapshot/index.js';
export * from './model/index.js';
export * from './workers/index.js';
export * from './metrics/index.js';
