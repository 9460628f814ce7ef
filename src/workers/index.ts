export { neuralMemoryPool, type NeuralMemoryPool, type NeuralMemoryPoolOptions, type PoolStats } from './neural-memory-pool.js';
export type { WorkerStats } from './worker-protocol.js';
export { shardOf } from './shard-of.js';
