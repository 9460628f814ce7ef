import type { MemoryState } from '../memory/memory-state.js';

/** Names of the memory weight arrays of a {@link MemoryState}: `h{head}.l{layer}.weight`. */
const WEIGHT_ARRAY = /^h\d+\.l\d+\.weight$/;

/**
 * The Frobenius norm of a memory's weights: the square root of the sum of squares over every
 * `h*.l*.weight` array of an exported state (momentum and stream buffers excluded). A norm that
 * keeps growing over a long stream means the memory does not forget enough.
 *
 * @example
 * ```ts
 * const norm = memoryWeightNorm(await memory.exportState());
 * ```
 * @param state - A state from `exportState()`.
 * @returns The norm (0 for a state without weight arrays).
 */
export function memoryWeightNorm(state: MemoryState): number {
  let sum = 0;
  for (const array of state.arrays) {
    if (!WEIGHT_ARRAY.test(array.name)) continue;
    for (const x of array.data) sum += x * x;
  }
  return Math.sqrt(sum);
}
