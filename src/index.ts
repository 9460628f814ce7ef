/**
 * titans-stream core: stream primitives, tensor backend, tokenizers, neural memory, errors.
 * @packageDocumentation
 */
export * from './errors/index.js';
export * from './records/index.js';
export * from './tensor/index.js';
