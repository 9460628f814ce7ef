/**
 * A small, fast, seeded pseudo-random number generator (xoshiro128**, seeded through SplitMix32).
 *
 * Same seed → same sequence, on every platform: everything is 32-bit integer arithmetic
 * (`Math.imul`, shifts), and floats are built from those integers exactly. Not for cryptography.
 */

/** A seed: a safe integer (negative allowed) or any string. */
export type Seed = number | string;

/** The complete state of a {@link SeededRandom}, to save it and continue later. */
export interface SeededRandomState {
  /** The four 32-bit xoshiro128** state words (unsigned). */
  readonly words: readonly [number, number, number, number];
  /** The pending second Box–Muller variate, if any. */
  readonly spareNormal: number | null;
}

const TWO_POW_32 = 0x1_0000_0000;
const TWO_POW_21 = 0x20_0000;
const TWO_POW_53 = TWO_POW_32 * TWO_POW_21;

/** SplitMix32 finaliser: a bijective 32-bit mix with good avalanche. */
function mix32(x: number): number {
  let z = x | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Reduces a seed to 32 bits. Distinct integers in [0, 2^32) map to distinct values. */
function seedToUint32(seed: Seed): number {
  if (typeof seed === 'string') {
    let h = 0x811c9dc5;
    for (const byte of new TextEncoder().encode(seed)) h = mix32(h ^ byte);
    return mix32(h ^ seed.length);
  }
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`seed must be a safe integer or a string, got ${String(seed)}`);
  }
  const lo = seed >>> 0; // seed mod 2^32 (two's complement for negatives)
  const hi = Math.floor(seed / TWO_POW_32) | 0;
  return (lo ^ mix32(hi + 0x9e3779b9)) >>> 0;
}

/**
 * Seeded pseudo-random generator with uniform, integer and normal draws.
 *
 * The core is xoshiro128** (period 2^128 − 1, passes BigCrush); the 128-bit state is filled from
 * the seed with SplitMix32. Use {@link SeededRandom.fork} to derive independent generators for
 * independent purposes (e.g. one per layer), so that adding draws to one does not shift another.
 *
 * @example
 * ```ts
 * const rng = new SeededRandom(42);
 * rng.next();         // float in [0, 1)
 * rng.nextInt(6);     // integer in [0, 6)
 * rng.normal(0, 0.02); // Gaussian draw
 * ```
 */
export class SeededRandom {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second Box–Muller variate, kept for the next {@link normal} call. */
  private spareNormal: number | undefined;

  /**
   * @param seed - A safe integer or a string. Default `0`.
   * @throws RangeError if `seed` is a number that is not a safe integer.
   */
  constructor(seed: Seed = 0) {
    let x = seedToUint32(seed);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      words.push(mix32(x));
    }
    this.setState(words[0] ?? 0, words[1] ?? 0, words[2] ?? 0, words[3] ?? 0);
  }

  private setState(a: number, b: number, c: number, d: number): void {
    this.s0 = a | 0;
    this.s1 = b | 0;
    this.s2 = c | 0;
    this.s3 = d | 0;
    // The all-zero state is the one state xoshiro never leaves.
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
  }

  /**
   * Recreates a generator from a saved state; it continues exactly where the saved one was.
   *
   * @example
   * ```ts
   * const copy = SeededRandom.fromState(rng.getState());
   * copy.next() === rng.next(); // true
   * ```
   * @param state - A state from {@link SeededRandom.getState}.
   * @returns A new generator in that state.
   */
  static fromState(state: SeededRandomState): SeededRandom {
    const rng = new SeededRandom(0);
    rng.setState(...state.words);
    rng.spareNormal = state.spareNormal ?? undefined;
    return rng;
  }

  /**
   * The generator's current state (a copy).
   *
   * @example
   * ```ts
   * const saved = rng.getState();
   * ```
   * @returns A plain, JSON-serialisable state for {@link SeededRandom.fromState}.
   */
  getState(): SeededRandomState {
    return {
      words: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spareNormal: this.spareNormal ?? null,
    };
  }

  /**
   * Next raw 32-bit output.
   *
   * @example
   * ```ts
   * new SeededRandom(1).nextUint32(); // an integer in [0, 2^32)
   * ```
   * @returns An unsigned 32-bit integer.
   */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9);
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /**
   * Uniform float in [0, 1) with 53 random bits (every double of the form k·2^-53).
   *
   * @example
   * ```ts
   * const coin = new SeededRandom(7).next() < 0.5;
   * ```
   * @returns A number `x` with `0 <= x < 1`.
   */
  next(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 0x400_0000 + lo) / TWO_POW_53;
  }

  /**
   * Uniform integer in [0, n), without modulo bias (rejection sampling).
   *
   * @example
   * ```ts
   * const die = new SeededRandom(3).nextInt(6) + 1;
   * ```
   * @param n - Exclusive upper bound, an integer in [1, 2^32].
   * @returns An integer `k` with `0 <= k < n`.
   * @throws RangeError if `n` is not an integer in [1, 2^32].
   */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`nextInt(n): n must be an integer in [1, 2^32], got ${String(n)}`);
    }
    // Reject the top (2^32 mod n) values so that every residue is equally likely.
    const limit = TWO_POW_32 - (TWO_POW_32 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /**
   * Gaussian draw (Box–Muller; the second variate of each pair is kept for the next call).
   *
   * @example
   * ```ts
   * const w = new SeededRandom(0).normal(0, 0.02);
   * ```
   * @param mean - Mean, default 0.
   * @param std - Standard deviation, default 1.
   * @returns A sample from N(mean, std²).
   */
  normal(mean = 0, std = 1): number {
    let z = this.spareNormal;
    if (z === undefined) {
      const u1 = 1 - this.next(); // (0, 1]: log is finite
      const u2 = this.next();
      const r = Math.sqrt(-2 * Math.log(u1));
      z = r * Math.cos(2 * Math.PI * u2);
      this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    } else {
      this.spareNormal = undefined;
    }
    return mean + std * z;
  }

  /**
   * Fills an array with Gaussian draws, in index order (for seeded weight initialisation).
   *
   * @example
   * ```ts
   * const weights = new SeededRandom(42).fillNormal(new Float32Array(64 * 64), 0, 1 / 8);
   * ```
   * @param target - The array to fill.
   * @param mean - Mean, default 0.
   * @param std - Standard deviation, default 1.
   * @returns `target`.
   */
  fillNormal<T extends Float32Array | Float64Array>(target: T, mean = 0, std = 1): T {
    for (let i = 0; i < target.length; i++) target[i] = this.normal(mean, std);
    return target;
  }

  /**
   * Derives a new generator seeded from this one's next outputs. The child's sequence is
   * unrelated to the parent's (for practical purposes; not provably non-overlapping), and
   * forking is itself deterministic: the k-th fork of a given seed is always the same.
   *
   * @example
   * ```ts
   * const root = new SeededRandom(42);
   * const layer1 = root.fork();
   * const layer2 = root.fork();
   * ```
   * @returns A new, independent {@link SeededRandom}.
   */
  fork(): SeededRandom {
    const child = new SeededRandom(0);
    child.setState(
      mix32(this.nextUint32() ^ 0x6a09e667),
      mix32(this.nextUint32() ^ 0xbb67ae85),
      mix32(this.nextUint32() ^ 0x3c6ef372),
      mix32(this.nextUint32() ^ 0xa54ff53a),
    );
    return child;
  }
}
