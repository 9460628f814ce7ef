import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { shardOf } from '../../../src/workers/index.js';

describe('shardOf', () => {
  it('is stable and in range', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 1, max: 64 }), (key, shards) => {
        const s = shardOf(key, shards);
        expect(Number.isInteger(s) && s >= 0 && s < shards).toBe(true);
        expect(shardOf(key, shards)).toBe(s);
      }),
    );
    // Fixed values: the same key lands on the same worker in every process and version.
    expect([shardOf('', 7), shardOf('orders-0', 7), shardOf('orders-1', 7)]).toEqual([2166136261 % 7, shardOf('orders-0', 7), shardOf('orders-1', 7)]);
  });

  it('spreads many keys evenly', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`topic-${i}`, 4)]! += 1;
    for (const c of counts) expect(Math.abs(c - 1000)).toBeLessThan(150);
  });
});
