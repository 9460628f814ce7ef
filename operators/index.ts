/**
 * titans-stream RxJS operators: thin front ends over the async-iterable core, plus the bridges
 * between Observables and async iterables.
 * @packageDocumentation
 */
export { createBackpressure, type Backpressure } from './backpressure.js';
export { fromAsyncIterable, type AsyncIterableSource, type FromAsyncIterableOptions } from './from-async-iterable.js';
export { toAsyncIterable, type ToAsyncIterableOptions } from './to-async-iterable.js';
export { fromAsyncOperator, DEFAULT_BRIDGE_CAPACITY, type BridgeOptions } from './from-async-operator.js';
export { tokenize, type TokenizeOperatorOptions } from './tokenize.js';
export { chunkTokens, type ChunkTokensOperatorOptions } from './chunk-tokens.js';
export { neuralMemory, type NeuralMemoryOperatorOptions } from './neural-memory.js';
export { titans, type TitansOperatorOptions } from './titans.js';
export { surpriseAlerts, type SurpriseAlertsOperatorOptions } from './surprise-alerts.js';
