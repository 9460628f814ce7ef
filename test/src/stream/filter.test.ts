import { describe, expect, expectTypeOf, it } from 'vitest';
import { filter, fromIterable, pipe, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';

describe('filter', () => {
  checkOperatorContract({
    make: (options) => filter((x: number, i) => (x * 7 + i) % 3 !== 0, options),
    model: (input) => input.filter((x, i) => (x * 7 + i) % 3 !== 0),
    throwing: (error) =>
      filter(() => {
        throw error;
      }),
  });

  it('awaits async predicates', async () => {
    const out = await toArray(pipe(fromIterable(['a', '', 'b', '']), filter(async (s: string) => s !== '')));
    expect(out).toEqual(['a', 'b']);
  });

  it('narrows the type with a type-guard predicate', async () => {
    const mixed = fromIterable<number | string>([1, 'x', 2, 'y']);
    const numbers = pipe(mixed, filter((v: number | string): v is number => typeof v === 'number'));
    expectTypeOf(numbers).toEqualTypeOf<AsyncIterable<number>>();
    expect(await toArray(numbers)).toEqual([1, 2]);
  });
});
