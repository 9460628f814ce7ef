import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { quantile } from '../../../src/metrics/index.js';

describe('quantile (nearest rank)', () => {
  it('picks ranks of the sorted sample', () => {
    expect(quantile([5, 1, 4, 2, 3], 0.5)).toBe(3);
    expect(quantile([5, 1, 4, 2, 3], 0)).toBe(1);
    expect(quantile([5, 1, 4, 2, 3], 1)).toBe(5);
    expect(quantile(Array.from({ length: 100 }, (_, i) => 100 - i), 0.99)).toBe(99);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('leaves the input alone, and at least a share q of the values lie at or below it', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ noNaN: true, min: -1e6, max: 1e6 }), { minLength: 1 }), fc.double({ min: 0, max: 1, noNaN: true }), (values, q) => {
        const copy = [...values];
        const v = quantile(values, q);
        expect(values).toEqual(copy);
        expect(values).toContain(v);
        expect(values.filter((x) => x <= v).length).toBeGreaterThanOrEqual(q * values.length);
        expect(values.filter((x) => x < v).length).toBeLessThan(Math.max(1, q * values.length));
      }),
    );
  });
});
