import { describe, expect, expectTypeOf, it } from 'vitest';
import { chunk, filter, flatMap, fromIterable, map, pipe, scan, take, tap, toArray } from '../../../src/stream/index.js';
import { probe, range } from './helpers.js';

describe('pipe', () => {
  it('returns the source itself with no operators', () => {
    const source = fromIterable([1]);
    expect(pipe(source)).toBe(source);
  });

  it('applies operators left to right, inferring each stage’s type', async () => {
    const out = pipe(
      fromIterable(['3', '1', '4', '1', '5']),
      map((s) => Number(s)),
      filter((n) => n > 1),
      chunk(2),
    );
    expectTypeOf(out).toEqualTypeOf<AsyncIterable<number[]>>();
    expect(await toArray(out)).toEqual([[3, 4], [5]]);
  });

  it('composes nine operators, and an early stop releases the original source', async () => {
    const source = probe(range(1000), 'hang');
    const out = pipe(
      source,
      map((x) => x + 1),
      filter((x) => x % 2 === 0),
      tap(() => {}),
      scan((acc: number, x) => acc + x, 0),
      map((x) => [x]),
      flatMap((xs) => xs),
      chunk(2),
      map((c) => c.length),
      take(3),
    );
    expectTypeOf(out).toEqualTypeOf<AsyncIterable<number>>();
    expect(await toArray(out)).toEqual([2, 2, 2]);
    expect(source.stats.returnCalls).toBe(1);
  });
});
