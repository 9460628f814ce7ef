import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../../src/random/seeded-random.js';

/** Independent, naive xoshiro128** on BigInt (straight from the published algorithm). */
function referenceXoshiro128ss(state: [number, number, number, number], count: number): number[] {
  const M = 0xffffffffn;
  const s = state.map((w) => BigInt(w >>> 0));
  const rotl = (x: bigint, k: bigint): bigint => ((x << k) | (x >> (32n - k))) & M;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const [s0, s1, s2, s3] = s as [bigint, bigint, bigint, bigint];
    out.push(Number((rotl((s1 * 5n) & M, 7n) * 9n) & M));
    const t = (s1 << 9n) & M;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    const n1 = s1 ^ n2;
    const n0 = s0 ^ n3;
    s[0] = n0;
    s[1] = n1;
    s[2] = n2 ^ t;
    s[3] = rotl(n3, 11n);
  }
  return out;
}

function draws(rng: SeededRandom, n: number): number[] {
  return Array.from({ length: n }, () => rng.nextUint32());
}

describe('SeededRandom', () => {
  it('matches a naive xoshiro128** reference for any state', () => {
    fc.assert(
      fc.property(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.integer({ min: 1, max: 0x7fffffff })), (words) => {
        const state: [number, number, number, number] = [words[0], words[1], words[2], words[3]];
        const rng = SeededRandom.fromState({ words: state, spareNormal: null });
        expect(draws(rng, 40)).toEqual(referenceXoshiro128ss(state, 40));
      }),
      { numRuns: 50 },
    );
  });

  it('is deterministic per seed and differs between seeds', () => {
    expect(draws(new SeededRandom(42), 100)).toEqual(draws(new SeededRandom(42), 100));
    expect(draws(new SeededRandom('abc'), 100)).toEqual(draws(new SeededRandom('abc'), 100));
    expect(draws(new SeededRandom(42), 10)).not.toEqual(draws(new SeededRandom(43), 10));
    expect(draws(new SeededRandom('abc'), 10)).not.toEqual(draws(new SeededRandom('abd'), 10));
    expect(draws(new SeededRandom(-1), 10)).not.toEqual(draws(new SeededRandom(2 ** 32 - 1), 10));
    expect(draws(new SeededRandom(2 ** 40), 10)).not.toEqual(draws(new SeededRandom(0), 10));
  });

  it('gives distinct streams for the first thousand integer seeds', () => {
    const firsts = new Set<string>();
    for (let seed = 0; seed < 1000; seed++) firsts.add(draws(new SeededRandom(seed), 2).join(','));
    expect(firsts.size).toBe(1000);
  });

  it('rejects seeds that are not safe integers or strings', () => {
    expect(() => new SeededRandom(1.5)).toThrow(RangeError);
    expect(() => new SeededRandom(Number.NaN)).toThrow(/seed/);
    expect(() => new SeededRandom(2 ** 60)).toThrow(RangeError);
  });

  it('next() is in [0, 1) with mean 1/2 and variance 1/12', () => {
    const rng = new SeededRandom(7);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < n; i++) {
      const x = rng.next();
      min = Math.min(min, x);
      max = Math.max(max, x);
      sum += x;
      sumSq += x * x;
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    const mean = sum / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005);
    expect(Math.abs(sumSq / n - mean * mean - 1 / 12)).toBeLessThan(0.002);
  });

  it('nextInt(n) stays in range and is uniform (chi-square)', () => {
    const rng = new SeededRandom(11);
    for (const n of [1, 2, 7, 10, 1000, 2 ** 32]) {
      for (let i = 0; i < 200; i++) {
        const k = rng.nextInt(n);
        expect(Number.isInteger(k) && k >= 0 && k < n).toBe(true);
      }
    }
    const bins = 10;
    const counts = new Array<number>(bins).fill(0);
    const draws = 50_000;
    for (let i = 0; i < draws; i++) counts[rng.nextInt(bins)]! += 1;
    const expected = draws / bins;
    const chi2 = counts.reduce((acc, c) => acc + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(27.9); // p = 0.001 for 9 degrees of freedom
  });

  it('nextInt rejects bad bounds', () => {
    const rng = new SeededRandom(1);
    for (const bad of [0, -3, 2.5, Number.NaN, 2 ** 32 + 1]) expect(() => rng.nextInt(bad)).toThrow(RangeError);
  });

  it('normal() has the requested mean and standard deviation', () => {
    const rng = new SeededRandom(5);
    const n = 100_000;
    let sum = 0;
    let sumSq = 0;
    let within1 = 0;
    for (let i = 0; i < n; i++) {
      const x = rng.normal(3, 2);
      sum += x;
      sumSq += x * x;
      if (Math.abs(x - 3) < 2) within1 += 1;
    }
    const mean = sum / n;
    const std = Math.sqrt(sumSq / n - mean * mean);
    expect(Math.abs(mean - 3)).toBeLessThan(0.03);
    expect(Math.abs(std - 2)).toBeLessThan(0.03);
    expect(Math.abs(within1 / n - 0.6827)).toBeLessThan(0.01);
  });

  it('fillNormal fills in order, the same as repeated normal() calls', () => {
    const a = new SeededRandom(9).fillNormal(new Float64Array(33), 0.5, 0.1);
    const rng = new SeededRandom(9);
    expect(Array.from(a)).toEqual(Array.from({ length: 33 }, () => rng.normal(0.5, 0.1)));
    const f = new SeededRandom(9).fillNormal(new Float32Array(33), 0.5, 0.1);
    expect(Array.from(f)).toEqual(Array.from(a, (x) => Math.fround(x)));
  });

  it('fork() is deterministic and gives a stream unlike its parent', () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const childA = a.fork();
    const childB = b.fork();
    expect(draws(childA, 50)).toEqual(draws(childB, 50));
    const parentNext = draws(a, 50);
    expect(parentNext).toEqual(draws(b, 50));
    expect(draws(a.fork(), 50)).not.toEqual(parentNext);
    expect(draws(new SeededRandom(42).fork(), 5)).not.toEqual(draws(new SeededRandom(42).fork().fork(), 5));
  });

  it('getState/fromState continue the exact sequence, spare normal included, through JSON', () => {
    const rng = new SeededRandom('state');
    rng.next();
    rng.normal(); // leaves a spare variate pending
    const copy = SeededRandom.fromState(JSON.parse(JSON.stringify(rng.getState())));
    expect([copy.normal(), copy.normal(), copy.next(), copy.nextInt(100)]).toEqual([
      rng.normal(),
      rng.normal(),
      rng.next(),
      rng.nextInt(100),
    ]);
  });
});
