import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { fromIterable, map, pipe, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { probe, range, settle, sleep, stop } from './helpers.js';

describe('map', () => {
  checkOperatorContract({
    make: (options) => map((x: number, i) => x * 3 + i, options),
    model: (input) => input.map((x, i) => x * 3 + i),
    throwing: (error) =>
      map(() => {
        throw error;
      }),
  });

  it('awaits async callbacks and keeps the order', async () => {
    const out = await toArray(pipe(fromIterable([30, 10, 20]), map(async (ms: number) => (await sleep(ms % 7), ms / 10))));
    expect(out).toEqual([3, 1, 2]);
  });

  it('pulls the next value only after the callback settles', async () => {
    const source = probe(range(5));
    let release: () => void = () => {};
    const iterator = map(
      (x: number) =>
        new Promise<number>((resolve) => {
          release = () => resolve(x);
        }),
    )(source)[Symbol.asyncIterator]();
    const first = iterator.next();
    await settle();
    expect(source.stats.nextCalls).toBe(1);
    release();
    expect(await first).toEqual({ done: false, value: 1 });
    await iterator.return?.();
  });

  it('return() while the callback is pending releases the source at once', async () => {
    const source = probe(range(5));
    const iterator = map(() => new Promise<number>(() => {}))(source)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await settle();
    await stop(iterator);
    expect(source.stats.returnCalls).toBe(1);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });

  it('is re-iterable when its source is', async () => {
    const doubled = pipe(fromIterable([1, 2]), map((x: number) => x * 2));
    expect(await toArray(doubled)).toEqual([2, 4]);
    expect(await toArray(doubled)).toEqual([2, 4]);
  });

  it('rejects nothing at construction (no options to validate)', () => {
    expect(() => map((x: number) => x)).not.toThrow(ConfigError);
  });
});
