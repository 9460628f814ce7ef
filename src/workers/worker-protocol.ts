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

/** Requests from the pool to a worker. Every request with an `id` is answered once. */
export type WorkerRequest =
  | { readonly type: 'open'; readonly key: string }
  | { readonly type: 'import'; readonly key: string; readonly state: MemoryState }
  | { readonly type: 'process'; readonly id: number; readonly key: string; readonly tokens: Int32Array; readonly outputs: TokenMemoryOutputs }
  | { readonly type: 'export'; readonly id: number; readonly key: string }
  | { readonly type: 'dispose'; readonly key: string }
  | { readonly type: 'stats'; readonly id: number; readonly weightNorms: boolean }
  | { readonly type: 'close' };

/** A worker's statistics. */
export interface WorkerStats {
  /** Live memories (keys) on the worker. */
  readonly memories: number;
  /** Live tensors of the worker's TensorFlow.js instance. */
  readonly numTensors: number;
  /** Chunks processed since the worker started. */
  readonly chunks: number;
  /** Weight norm of each live memory, when asked for. */
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
  | { readonly type: 'error'; readonly id: number | undefined; readonly key: string | undefined; readonly error: WorkerErrorInfo }
  | { readonly type: 'closed' };
