import { availableParallelism } from 'node:os';
import { ConfigError } from '../errors/config-error.js';
import { TitansError } from '../errors/titans-error.js';
import { resolveTokenMemoryConfig, type ResolvedTokenMemoryConfig, type TokenMemoryConfig } from '../memory/token-memory-config.js';
import type { BackendChoice } from '../tensor/backend.js';
import { BYTE_VOCAB_SIZE } from '../tokenize/byte-tokenizer.js';
import { PoolWorker } from './pool-worker.js';
import { RemoteMemory } from './remote-memory.js';
import { shardOf } from './shard-of.js';
import type { WorkerStats } from './worker-protocol.js';

/** Options of {@link MemoryWorkers}. */
export interface MemoryWorkersOptions {
  /** Worker threads; keys are sharded over them by a stable hash. Default `os.availableParallelism()`. */
  readonly workers?: number;
  /** Configuration of every memory the workers hold (byte vocabulary unless given). */
  readonly memory?: Partial<TokenMemoryConfig>;
  /** Backend of each worker's TensorFlow.js instance (default: TITANS_BACKEND, else auto). */
  readonly backend?: BackendChoice;
}

/** Statistics of a set of memory workers. */
export interface PoolStats {
  /** One entry per worker, in pool order. */
  readonly workers: readonly WorkerStats[];
}

/**
 * A set of memory worker threads (one TensorFlow.js instance each) that any number of
 * `neuralMemoryPool` iterations share, e.g. the per-partition pipelines of a Kafka consumer:
 * the threads start once, partitions come and go. Each memory opened on it is a separate
 * instance (a key revoked and assigned again never shares state with its previous life).
 *
 * @example
 * ```ts
 * const workers = new MemoryWorkers({ workers: 2, memory: { dim: 64 } });
 * try {
 *   const layer = neuralMemoryPool({ pool: workers }); // memory configuration from the pool
 *   // ... apply `layer` to as many chunk streams as needed, at the same time or one after another ...
 * } finally {
 *   await workers.close();
 * }
 * ```
 */
export class MemoryWorkers {
  /** Number of worker threads. */
  readonly size: number;
  /** Configuration of every memory on the workers. */
  readonly config: ResolvedTokenMemoryConfig;
  readonly #workers: readonly PoolWorker[];
  #opened = 0;
  #closed: Promise<void> | undefined;

  /**
   * Starts the worker threads.
   *
   * @param options - thread count, memory configuration, backend.
   * @throws {ConfigError} for a bad thread count or memory configuration.
   */
  constructor(options: MemoryWorkersOptions = {}) {
    const size = options.workers ?? availableParallelism();
    if (!(Number.isSafeInteger(size) && size > 0)) throw new ConfigError('workers', `must be a positive integer, got ${size}`);
    this.size = size;
    this.config = resolveTokenMemoryConfig({ vocabSize: BYTE_VOCAB_SIZE, ...options.memory } as TokenMemoryConfig);
    const data = { memory: this.config, ...(options.backend === undefined ? {} : { backend: options.backend }) };
    this.#workers = Array.from({ length: size }, (_, i) => new PoolWorker(i, data));
  }

  /**
   * Waits until every worker's backend is ready.
   *
   * @returns once all are ready.
   * @throws {TitansError} `ERR_WORKER` when a worker cannot start.
   */
  async ready(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.ready));
  }

  /**
   * The worker index of `key` (a stable hash, see {@link shardOf}).
   *
   * @param key - A state key.
   * @returns An index in [0, size).
   */
  shardOf(key: string): number {
    return shardOf(key, this.size);
  }

  /**
   * Opens a new, empty memory for `key` on the key's worker.
   *
   * @param key - The state key.
   * @returns The memory, driven from this thread.
   * @throws {TitansError} `ERR_WORKER` once the workers are closed.
   */
  open(key: string): RemoteMemory {
    if (this.#closed !== undefined) throw new TitansError('ERR_WORKER', `cannot open a memory for key "${key}": the workers are closed`);
    this.#opened += 1;
    return new RemoteMemory(this.#workers[this.shardOf(key)] as PoolWorker, key, `${key}#${this.#opened}`, this.config);
  }

  /**
   * Asks every worker for its statistics (answered between two requests).
   *
   * @param options - `weightNorms`: also the weight norm of every live memory (exports each state).
   * @returns One entry per worker; none once closed.
   */
  async stats(options: { readonly weightNorms?: boolean } = {}): Promise<PoolStats> {
    if (this.#closed !== undefined) return { workers: [] };
    const replies = await Promise.all(this.#workers.map((w) => w.request({ type: 'stats', weightNorms: options.weightNorms ?? false }, 'stats')));
    return { workers: replies.map((r) => r.stats) };
  }

  /**
   * Disposes every memory and stops the threads (after the requests already sent; a thread that
   * does not stop within a grace period is terminated). Idempotent; never rejects.
   */
  close(): Promise<void> {
    this.#closed ??= Promise.all(this.#workers.map((w) => w.close())).then(() => undefined);
    return this.#closed;
  }
}
