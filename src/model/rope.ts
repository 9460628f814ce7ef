import { tf } from '../tensor/index.js';
import type { Tensor2D } from '../tensor/index.js';
import { matMul2d } from './fast-matmul.js';

/** Rotary position tables for a run of positions, shared by queries and keys. */
export interface RopeTables {
  /** `[n × d]` cos(pos·ω) per column (every head alike). */
  readonly cos: Tensor2D;
  /** `[n × d]` sin(pos·ω). */
  readonly sin: Tensor2D;
  /** `[d × d]` signed permutation with `x·rot` = rotate-half of every head. */
  readonly rot: Tensor2D;
}

/**
 * Rotary position tables for positions `start … start + n − 1` and `heads` heads of `d / heads`
 * (even) columns each, rotate-half layout: column j < half of a head pairs with j + half, and
 * ω_j = base^(−2j / headDim). Angles are computed in float64 from the absolute position, so a
 * position deep into an unbounded stream is as exact as position 0; only differences of positions
 * matter to the attention scores.
 *
 * @example
 * ```ts
 * const tables = ropeTables(1000, 32, 64, 4, 10_000);
 * const q = applyRope(queries, tables);
 * ```
 * @param start - Stream position of the first row.
 * @param n - Rows.
 * @param d - Width (heads × headDim).
 * @param heads - Heads.
 * @param base - Frequency base.
 * @param rot - A {@link rotateHalf} matrix to reuse (else a new one).
 * @returns The tables (new tensors, except a given `rot`).
 */
export function ropeTables(start: number, n: number, d: number, heads: number, base: number, rot?: Tensor2D): RopeTables {
  return { ...ropeAngles(start, n, d, heads, base), rot: rot ?? rotateHalf(d, heads) };
}

/**
 * The `cos` and `sin` tables of {@link ropeTables} alone.
 *
 * @example
 * ```ts
 * const { cos, sin } = ropeAngles(1000, 32, 128, 8, 10_000); // queries and keys side by side
 * ```
 * @param start - Stream position of the first row.
 * @param n - Rows.
 * @param d - Width (heads × headDim).
 * @param heads - Heads.
 * @param base - Frequency base.
 * @returns `[n × d]` each (new tensors).
 */
export function ropeAngles(start: number, n: number, d: number, heads: number, base: number): { cos: Tensor2D; sin: Tensor2D } {
  const hd = d / heads;
  const half = hd / 2;
  const cos = new Float32Array(n * d);
  const sin = new Float32Array(n * d);
  const freq = Array.from({ length: half }, (_, j) => Math.pow(base, (-2 * j) / hd));
  for (let r = 0; r < n; r++) {
    const pos = start + r;
    for (let j = 0; j < half; j++) {
      const angle = pos * (freq[j] as number);
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      for (let h = 0; h < heads; h++) {
        for (const col of [r * d + h * hd + j, r * d + h * hd + j + half]) {
          cos[col] = c;
          sin[col] = s;
        }
      }
    }
  }
  return { cos: tf.tensor2d(cos, [n, d]), sin: tf.tensor2d(sin, [n, d]) };
}

/**
 * The `[d × d]` signed permutation of {@link RopeTables.rot}: `x·rot` = rotate-half of every head.
 *
 * @example
 * ```ts
 * const rot = rotateHalf(64, 4);
 * ```
 * @param d - Width (heads × headDim).
 * @param heads - Heads.
 * @returns A new tensor.
 */
export function rotateHalf(d: number, heads: number): Tensor2D {
  const hd = d / heads;
  const half = hd / 2;
  const rot = new Float32Array(d * d);
  for (let c = 0; c < d; c++) {
    const j = c % hd;
    if (j < half) rot[(c + half) * d + c] = -1;
    else rot[(c - half) * d + c] = 1;
  }
  return tf.tensor2d(rot, [d, d]);
}

/**
 * Rotates every head of `x` by its row's position: `x ⊙ cos + rotateHalf(x) ⊙ sin`.
 *
 * @example
 * ```ts
 * const k = applyRope(keys, ropeTables(0, keys.shape[0], 64, 4, 10_000));
 * ```
 * @param x - `[n × d]`, rows in the tables' positions.
 * @param tables - From {@link ropeTables}.
 * @returns `[n × d]`.
 */
export function applyRope(x: Tensor2D, tables: RopeTables): Tensor2D {
  return tf.add(tf.mul(x, tables.cos), tf.mul(matMul2d(x, tables.rot), tables.sin));
}
