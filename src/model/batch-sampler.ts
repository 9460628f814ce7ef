import { InputError } from '../errors/index.js';
import type { SeededRandom } from '../random/index.js';

/**
 * `batch` random crops of `length` tokens from `data`, row-major `[batch × length]`, start
 * positions drawn uniformly from `rng` (so the same generator state gives the same batch).
 *
 * @example
 * ```ts
 * const tokens = sampleBatch(data, 8, 128, rng);
 * ```
 * @param data - The training tokens.
 * @param batch - Crops.
 * @param length - Tokens per crop.
 * @param rng - Source of the start positions.
 * @returns The crops.
 * @throws {@link InputError} `ERR_DATA` when `data` is shorter than one crop.
 */
export function sampleBatch(data: Int32Array, batch: number, length: number, rng: SeededRandom): Int32Array {
  if (data.length < length) throw new InputError('ERR_DATA', `training data has ${data.length} tokens, fewer than one sequence of ${length}`);
  const out = new Int32Array(batch * length);
  const starts = data.length - length + 1;
  for (let b = 0; b < batch; b++) {
    const start = rng.nextInt(starts);
    out.set(data.subarray(start, start + length), b * length);
  }
  return out;
}
