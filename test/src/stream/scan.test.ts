import { describe, expect, it } from 'vitest';
import { fromIterable, pipe, scan, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';

describe('scan', () => {
  checkOperatorContract({
    make: (options) => scan((sum: number, x: number, i) => sum + x * (i + 1), 5, options),
    model: (input) => {
      let sum = 5;
      return input.map((x, i) => (sum += x * (i + 1)));
    },
    throwing: (error) =>
      scan<number, number>(() => {
        throw error;
      }, 0),
  });

  it('awaits async reducers and carries any accumulator type', async () => {
    const out = await toArray(pipe(fromIterable(['a', 'b', 'c']), scan(async (acc: string[], s: string) => [...acc, s], [] as string[])));
    expect(out).toEqual([['a'], ['a', 'b'], ['a', 'b', 'c']]);
  });
});
