import type { MemoryState } from '../memory/memory-state.js';
import type { TokenMemoryOutputs, TopK } from '../memory/token-memory.js';
import type { ResolvedTokenMemoryConfig } from '../memory/token-memory-config.js';
import type { BackendChoice } from '../tensor/backend.js';

/** What a memory worker is started with (its `workerData`). */
export interface MemoryWorkerData {
  /** Configuration of every memory the worker makes. */
  readonly memory: ResolvedTokenMemoryConfig;
  /** Backend of the worker's own TensorFlow.js instance (default: TITANS_BACKEND, else auto). */
  readonly backend?: BackendChoice;
}

/**
 * Requests from the pool to a worker (posted as arrays of them, in order). Every request with an
 * `id` is answered once. `memory` names one opened memory (unique per pool: a key opened again is
 * a new memory).
 */
export type WorkerRequest =
  | { readonly type: 'open'; readonly memory: string }
  | { readonly type: 'import'; readonly memory: string; readonly state: MemoryState }
  | { readonly type: 'process'; readonly id: number; readonly memory: string; readonly tokens: Int32Array; readonly outputs: TokenMemoryOutputs }
  | { readonly type: 'export'; readonly id: number; readonly memory: string }
  | { readonly type: 'dispose'; readonly memory: string }
  | { readonly type: 'stats'; readonly id: number; readonly weightNorms: boolean }
  | { readonly type: 'close' };

/** A worker's statistics. */
export interface WorkerStats {
  /** Live memories on the worker. */
  readonly memories: number;
  /** Live tensors of the worker's TensorFlow.js instance. */
  readonly numTensors: number;
  /** Chunks processed since the worker started. */
  readonly chunks: number;
  /** Milliseconds spent handling requests since the worker started (its busy time: over wall time, its utilization). */
  readonly busyMs: number;
  /** Weight norm of each live memory (by memory name, `key#n`), when asked for. */
  readonly weightNorms: Readonly<Record<string, number>>;
}

/** An error as it crosses the thread boundary. */
export interface WorkerErrorInfo {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
  readonly retriable?: boolean;
}

/** Replies and notices from a worker (posted as arrays of them, in order). */
export type WorkerReply =
  | { readonly type: 'ready'; readonly backend: string }
  | {
      readonly type: 'result';
      readonly id: number;
      readonly tokensSeen: number;
      readonly loss?: Float32Array;
      readonly surprise?: Float32Array;
      readonly topK?: TopK;
      readonly retrievals?: Float32Array;
    }
  | { readonly type: 'state'; readonly id: number; readonly state: MemoryState }
  | { readonly type: 'stats'; readonly id: number; readonly stats: WorkerStats }
  | { readonly type: 'error'; readonly id: number | undefined; readonly memory: string | undefined; readonly error: WorkerErrorInfo }
  | { readonly type: 'closed' };
