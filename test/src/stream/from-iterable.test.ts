import { describe, expect, it } from 'vitest';
import { fromIterable, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';

describe('fromIterable', () => {
  describe('contract (wrapping an async iterable)', () => {
    checkOperatorContract<number>({
      make: (options) => (source) => fromIterable(source, options),
      model: (input) => [...input],
    });
  });

  it('reads synchronous iterables and calls their return() on early exit', async () => {
    let returned = 0;
    function* numbers(): Generator<number> {
      try {
        yield 1;
        yield 2;
        yield 3;
      } finally {
        returned += 1;
      }
    }
    for await (const v of fromIterable(numbers())) if (v === 2) break;
    expect(returned).toBe(1);
    expect(await toArray(fromIterable(new Set(['a', 'b'])))).toEqual(['a', 'b']);
  });

  it('passes a synchronous throw through unchanged', async () => {
    const failure = new Error('sync source broke');
    function* broken(): Generator<number> {
      yield 1;
      throw failure;
    }
    await expect(toArray(fromIterable(broken()))).rejects.toBe(failure);
  });

  it('rejects something that is not iterable when iterated', async () => {
    await expect(toArray(fromIterable(42 as unknown as number[]))).rejects.toThrow(TypeError);
  });
});
