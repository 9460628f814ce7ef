import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { flatMap, fromIterable, pipe, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { delayed, probe, range, settle, sleep, stop, within } from './helpers.js';

describe('flatMap', () => {
  describe('contract, concurrency 1, arrays', () => {
    checkOperatorContract({
      make: (options) => flatMap((x: number, i) => [x, x * 10 + i], options),
      model: (input) => input.flatMap((x, i) => [x, x * 10 + i]),
      throwing: (error) =>
        flatMap(() => {
          throw error;
        }),
    });
  });

  describe('contract, concurrency 3 ordered, promised async streams', () => {
    checkOperatorContract({
      make: (options) => flatMap(async (x: number) => delayed([x, -x], [0]), { ...options, concurrency: 3, ordered: true }),
      model: (input) => input.flatMap((x) => [x, -x]),
      throwing: (error) => flatMap(() => Promise.reject(error), { concurrency: 3, ordered: true }),
    });
  });

  describe('contract, concurrency 2 unordered, inner stream fails', () => {
    checkOperatorContract({
      make: (options) => flatMap((x: number) => [x], { ...options, concurrency: 2 }),
      model: (input) => [...input],
      throwing: (error) => flatMap(() => probe([], { error }), { concurrency: 2 }),
    });
  });

  it('never runs more than `concurrency` inner streams, and reaches that many (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 0, max: 12 }), fc.boolean(), async (concurrency, n, ordered) => {
        let active = 0;
        let peak = 0;
        const inner = async function* (x: number) {
          active += 1;
          peak = Math.max(peak, active);
          try {
            await sleep(1);
            yield x;
            yield x + 0.5;
          } finally {
            active -= 1;
          }
        };
        const out = await toArray(flatMap(inner, { concurrency, ordered })(fromIterable(range(n))));
        expect(peak).toBe(Math.min(concurrency, n));
        expect(active).toBe(0);
        const expected = range(n).flatMap((x) => [x, x + 0.5]);
        if (ordered || concurrency === 1) expect(out).toEqual(expected);
        else expect([...out].sort((a, b) => a - b)).toEqual(expected);
      }),
      { numRuns: 25 },
    );
  });

  it('emits values as they arrive when unordered', async () => {
    const out = await toArray(pipe(fromIterable([20, 1]), flatMap((ms: number) => delayed([ms], [ms]), { concurrency: 2 })));
    expect(out).toEqual([1, 20]);
  });

  it('keeps input order when ordered, while the inner streams still start together', async () => {
    const started: number[] = [];
    const out = await toArray(
      pipe(
        fromIterable([20, 1, 5]),
        flatMap(
          (ms: number) => {
            started.push(ms);
            return delayed([ms, ms], [ms]);
          },
          { concurrency: 3, ordered: true },
        ),
      ),
    );
    expect(out).toEqual([20, 20, 1, 1, 5, 5]);
    expect(started).toEqual([20, 1, 5]);
  });

  it('pulls the source only while a slot is free', async () => {
    const source = probe(range(10));
    const iterator = flatMap((x: number) => probe([x], 'hang'), { concurrency: 3 })(source)[Symbol.asyncIterator]();
    const values = [await within(iterator.next()), await within(iterator.next()), await within(iterator.next())].map((r) => r.value);
    expect(values.sort()).toEqual([1, 2, 3]);
    const pending = iterator.next(); // three silent inner streams hold every slot
    await settle();
    expect(source.stats.nextCalls).toBe(3);
    await iterator.return?.();
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
  });

  it('an inner error releases the source and every other running inner stream', async () => {
    const source = probe(range(10), 'hang');
    const failure = new Error('inner 3 broke');
    const inners = new Map<number, ReturnType<typeof probe<number>>>();
    const op = flatMap(
      (x: number) => {
        const inner = x === 3 ? probe([x], { error: failure }) : probe([x], 'hang');
        inners.set(x, inner);
        return inner;
      },
      { concurrency: 3 },
    );
    await expect(within(toArray(op(source)))).rejects.toBe(failure);
    expect(source.stats.returnCalls).toBe(1);
    expect(inners.get(1)?.stats.returnCalls).toBe(1);
    expect(inners.get(2)?.stats.returnCalls).toBe(1);
    expect(inners.get(3)?.stats.returnCalls).toBe(0); // it failed: nothing to release
  });

  it('return() releases the source and all running inner streams, even while they are silent', async () => {
    const source = probe(range(10), 'hang');
    const inners: Array<ReturnType<typeof probe<number>>> = [];
    const iterator = flatMap(
      (x: number) => {
        const inner = probe([x], 'hang');
        inners.push(inner);
        return inner;
      },
      { concurrency: 4 },
    )(source)[Symbol.asyncIterator]();
    for (let i = 0; i < 4; i++) await within(iterator.next());
    const pending = iterator.next();
    await settle();
    await stop(iterator);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(inners).toHaveLength(4);
    expect(inners.map((i) => i.stats.returnCalls)).toEqual([1, 1, 1, 1]);
    expect(source.stats.returnCalls).toBe(1);
  });

  it('accepts iterables, async iterables and promises of either', async () => {
    const out = await toArray(
      pipe(
        fromIterable([0, 1, 2, 3]),
        flatMap((x: number): Iterable<string> | AsyncIterable<string> | Promise<Iterable<string>> => {
          if (x === 0) return ['a'];
          if (x === 1) return fromIterable(['b']);
          if (x === 2) return Promise.resolve(new Set(['c']));
          return 'de';
        }),
      ),
    );
    expect(out).toEqual(['a', 'b', 'c', 'd', 'e']);
  });

  it('rejects a bad concurrency at once', () => {
    expect(() => flatMap((x: number) => [x], { concurrency: 0 })).toThrow(ConfigError);
    expect(() => flatMap((x: number) => [x], { concurrency: 1.5 })).toThrow(/flatMap\.concurrency/);
    expect(() => flatMap((x: number) => [x], { concurrency: Infinity })).not.toThrow();
  });
});
