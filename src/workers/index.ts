export { neuralMemoryPool, type NeuralMemoryPool, type NeuralMemoryPoolOptions } from './neural-memory-pool.js';
export { MemoryWorkers, type MemoryWorkersOptions, type PoolStats } from './memory-workers.js';
export type { RemoteMemory } from './remote-memory.js';
export type { WorkerStats } from './worker-protocol.js';
export { shardOf } from './shard-of.js';
