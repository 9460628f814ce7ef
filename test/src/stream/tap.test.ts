import { describe, expect, it } from 'vitest';
import { fromIterable, pipe, tap, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { sleep } from './helpers.js';

describe('tap', () => {
  checkOperatorContract({
    make: (options) => tap(() => {}, options),
    model: (input) => [...input],
    throwing: (error) =>
      tap(() => {
        throw error;
      }),
  });

  it('calls the callback once per value, in order, before passing it on', async () => {
    const calls: Array<[number, number]> = [];
    const out: number[] = [];
    for await (const v of pipe(fromIterable([5, 6, 7]), tap((x: number, i) => void calls.push([x, i])))) {
      expect(calls.at(-1)?.[0]).toBe(v);
      out.push(v);
    }
    expect(out).toEqual([5, 6, 7]);
    expect(calls).toEqual([
      [5, 0],
      [6, 1],
      [7, 2],
    ]);
  });

  it('waits for an async callback before emitting', async () => {
    let done = 0;
    const out = await toArray(
      pipe(
        fromIterable([1, 2]),
        tap(async () => {
          await sleep(2);
          done += 1;
        }),
        tap(() => expect(done).toBeGreaterThan(0)),
      ),
    );
    expect(out).toEqual([1, 2]);
    expect(done).toBe(2);
  });
});
