import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { take, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { hangingGenerator, probe, range, within } from './helpers.js';

describe('take', () => {
  checkOperatorContract({
    make: (options) => take(4, options),
    model: (input) => input.slice(0, 4),
  });

  it('releases the source as soon as the last value is taken, without pulling another', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 12 }), fc.integer({ min: 0, max: 12 }), async (count, length) => {
        const source = probe(range(length), 'hang');
        if (count > length) return; // would wait forever on the silent source, by design
        const iterator = take<number>(count)(source)[Symbol.asyncIterator]();
        for (let i = 1; i <= count; i++) {
          expect(await within(iterator.next())).toEqual({ done: false, value: i });
          expect(source.stats.returnCalls).toBe(i === count ? 1 : 0);
        }
        expect(source.stats.nextCalls).toBe(count);
        expect(await iterator.next()).toEqual({ done: true, value: undefined });
        expect(source.stats.nextCalls).toBe(count);
        expect(source.stats.returnCalls).toBe(1);
      }),
      { numRuns: 40 },
    );
  });

  it('completes over a generator that would otherwise hang', async () => {
    expect(await within(toArray(take<number>(3)(hangingGenerator(range(3)))))).toEqual([1, 2, 3]);
  });

  it('take(0) does not open the source', async () => {
    const source = probe(range(3));
    expect(await toArray(take<number>(0)(source))).toEqual([]);
    expect(source.stats.opened).toBe(0);
  });

  it('rejects a bad count at once', () => {
    expect(() => take(-1)).toThrow(ConfigError);
    expect(() => take(1.5)).toThrow(/take\.count/);
  });
});
