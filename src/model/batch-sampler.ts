import { InputError } from '../errors/index.js';
import type { SeededRandom } from '../random/index.js';

/**
 * `batch` random crops of `length` tokens from `data`, row-major `[batch × length]`, start
 * positions drawn uniformly from `rng` (so the same generator state gives the same batch). With
 * `align` > 1 a crop starts only at a multiple of `align`: data made of documents of `align`
 * tokens each is read a whole document per crop when `length` = `align`.
 *
 * @example
 * ```ts
 * const tokens = sampleBatch(data, 8, 128, rng);
 * ```
 * @param data - The training tokens.
 * @param batch - Crops.
 * @param length - Tokens per crop.
 * @param rng - Source of the start positions.
 * @param align - Crops start at multiples of this (default 1: anywhere).
 * @returns The crops.
 * @throws {@link InputError} `ERR_DATA` when `data` is shorter than one crop.
 */
export function sampleBatch(data: Int32Array, batch: number, length: number, rng: SeededRandom, align = 1): Int32Array {
  return cropRows(data, randomStarts(batch, data.length, length, rng, align), 0, length);
}

/**
 * Rows `[starts.length × length]`: row b is `data[starts[b] + offset …][0 … length)`.
 *
 * @param data - Tokens, or per-token values that go with them.
 * @param starts - Where each row's crop starts.
 * @param offset - Added to every start (a later window of the same crops).
 * @param length - Tokens per row.
 * @returns A new array of the same kind.
 */
export function cropRows<T extends Int32Array | Float32Array>(data: T, starts: readonly number[], offset: number, length: number): T {
  const out = new (data.constructor as new (n: number) => T)(starts.length * length);
  starts.forEach((s, b) => out.set(data.subarray(s + offset, s + offset + length), b * length));
  return out;
}

/**
 * `count` uniformly drawn starts of crops of `length` tokens within `dataLength` tokens, each at a
 * multiple of `align`.
 *
 * @param count - Starts wanted.
 * @param dataLength - Tokens in the data.
 * @param length - Tokens per crop.
 * @param rng - Source of the positions.
 * @param align - Starts are multiples of this.
 * @returns The starts.
 * @throws {@link InputError} `ERR_DATA` when no crop fits.
 */
export function randomStarts(count: number, dataLength: number, length: number, rng: SeededRandom, align = 1): number[] {
  if (dataLength < length) throw new InputError('ERR_DATA', `training data has ${dataLength} tokens, fewer than one sequence of ${length}`);
  const choices = Math.floor((dataLength - length) / align) + 1;
  return Array.from({ length: count }, () => align * rng.nextInt(choices));
}
