import type { MemoryState } from '../memory/memory-state.js';
import type { TokenMemoryProcessOptions, TokenMemoryResult } from '../memory/token-memory.js';

/**
 * What the keyed Titans layer drives: a stateful token model that processes token runs of any
 * length, reports per-token loss/surprise/predictions, and exports and imports its state.
 * `TokenMemory` implements it; trained Titans models do too.
 */
export interface StreamMemory {
  /** The resolved configuration (what snapshots must match). */
  readonly config: MemoryState['config'];
  /** Tokens absorbed so far. */
  readonly tokensSeen: number;
  /** Processes the next tokens of the stream. */
  process(tokens: Int32Array, options?: TokenMemoryProcessOptions): Promise<TokenMemoryResult>;
  /** The complete state, as plain arrays. */
  exportState(): Promise<MemoryState>;
  /** Replaces the state with an exported one of the same configuration. */
  importState(state: MemoryState): void;
  /** Frees every tensor. */
  dispose(): void;
}
