import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rocAuc } from '../../../bench/eval/roc-auc.js';

/** Naive pairwise definition: P(score of a positive > score of a negative) + ½ P(tie). */
function pairwise(scores: number[], labels: number[]): number {
  let wins = 0;
  let pairs = 0;
  scores.forEach((p, i) => {
    if (labels[i] !== 1) return;
    scores.forEach((n, j) => {
      if (labels[j] !== 0) return;
      pairs++;
      wins += p > n ? 1 : p === n ? 0.5 : 0;
    });
  });
  return wins / pairs;
}

describe('rocAuc', () => {
  it('matches a hand-computed example', () => {
    // Positives 0.35 and 0.8; negatives 0.1 and 0.4. Pairs: (0.35>0.1) win, (0.35<0.4) loss,
    // (0.8>0.1) win, (0.8>0.4) win → 3 of 4.
    expect(rocAuc([0.1, 0.4, 0.35, 0.8], [0, 0, 1, 1])).toBe(0.75);
  });

  it('counts ties as half', () => {
    expect(rocAuc([1, 1], [0, 1])).toBe(0.5);
    expect(rocAuc([0, 1, 1, 2], [0, 1, 0, 1])).toBe(0.875);
  });

  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(rocAuc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(rocAuc([4, 3, 2, 1], [0, 0, 1, 1])).toBe(0);
  });

  it('equals the pairwise definition on random data', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 })), { minLength: 2, maxLength: 40 }), (items) => {
        const scores = items.map(([s]) => s);
        const labels = items.map(([, l]) => l);
        fc.pre(labels.includes(0) && labels.includes(1));
        expect(rocAuc(scores, labels)).toBeCloseTo(pairwise(scores, labels), 12);
      }),
    );
  });

  it('rejects one-class input, bad labels and mismatched lengths', () => {
    expect(() => rocAuc([1, 2], [1, 1])).toThrow(/both classes/);
    expect(() => rocAuc([1, 2], [0, 2])).toThrow(/not 0 or 1/);
    expect(() => rocAuc([1, 2], [0])).toThrow(/labels/);
  });
});
