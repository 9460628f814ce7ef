import fc from 'fast-check';
import { concat, EMPTY, from, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors/index.js';
import { chunkTokens as chunkTokensAsync, type TokenRun } from '../../src/pipeline/index.js';
import { fromIterable, toArray } from '../../src/stream/index.js';
import { chunkTokens, fromAsyncIterable } from '../../operators/index.js';
import { probe, settle, sleep } from '../src/stream/helpers.js';
import { collect, until } from './helpers.js';

function run(key: string, index: number, tokens: number[]): TokenRun {
  return { key, record: { value: '', position: { kind: 'stream', stream: key, index } }, tokens: Int32Array.from(tokens) };
}

describe('chunkTokens (RxJS)', () => {
  it('completes without chunks for no runs', async () => {
    expect(await collect(EMPTY.pipe(chunkTokens(4)))).toEqual({ values: [], completed: true });
  });

  it('flushes a single short run as one partial chunk at the end', async () => {
    const { values, completed } = await collect(of(run('a', 0, [1, 2])).pipe(chunkTokens(4)));
    expect(completed).toBe(true);
    expect(values.map((c) => [c.key, c.sequence, [...c.tokens]])).toEqual([['a', 0, [1, 2]]]);
  });

  it('gives the same chunks, in the same order, as the async chunkTokens (property)', async () => {
    const runs = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.array(fc.integer({ min: 0, max: 259 }), { minLength: 1, maxLength: 20 })), { maxLength: 30 });
    await fc.assert(
      fc.asyncProperty(runs, fc.integer({ min: 1, max: 9 }), async (input, size) => {
        const tokenRuns = input.map(([key, tokens], i) => run(key, i, tokens));
        const expected = await toArray(chunkTokensAsync(size)(fromIterable(tokenRuns)));
        const { values, completed } = await collect(from(tokenRuns).pipe(chunkTokens(size)));
        expect(completed).toBe(true);
        expect(values).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('passes an upstream error through after the chunks before it, the partial one included', async () => {
    const failure = new Error('upstream broke');
    const seen = await collect(concat(of(run('a', 0, [1, 2, 3, 4, 5])), throwError(() => failure)).pipe(chunkTokens(2)));
    expect(seen.values.map((c) => [...c.tokens])).toEqual([[1, 2], [3, 4], [5]]);
    expect(seen.error).toBe(failure);
  });

  it('has no callback; bad options are ConfigErrors at the call', () => {
    expect(() => chunkTokens(0)).toThrow(/chunkTokens.size/);
    expect(() => chunkTokens(4, { maxWaitMs: 0 })).toThrow(ConfigError);
    expect(() => chunkTokens(4, { capacity: -1 })).toThrow(/chunkTokens.capacity/);
  });

  it('unsubscribing while the source never yields again returns it at once, without another chunk', async () => {
    const source = probe([run('a', 0, [1, 2, 3])], 'hang');
    const values: unknown[] = [];
    const subscription = fromAsyncIterable(source).pipe(chunkTokens(2)).subscribe((c) => values.push(c));
    await settle();
    expect(values).toHaveLength(1);
    subscription.unsubscribe();
    expect(source.stats.returnCalls).toBe(1);
    await sleep(5);
    expect(values).toHaveLength(1);
  });

  // maxWaitMs runs on real timers inside the async core (setTimeout, performance.now), which an
  // RxJS TestScheduler cannot drive; so these use short real waits and generous bounds.
  it('maxWaitMs: emits a quiet key’s partial chunk after the wait, while the source stays open', async () => {
    const source = probe([run('a', 0, [1, 2, 3])], 'hang');
    const arrivals: { tokens: number[]; at: number }[] = [];
    const start = performance.now();
    const subscription = fromAsyncIterable(source)
      .pipe(chunkTokens(2, { maxWaitMs: 30 }))
      .subscribe((c) => arrivals.push({ tokens: [...c.tokens], at: performance.now() - start }));
    await until(() => arrivals.length === 2, 2000, 'the partial chunk');
    expect(arrivals.map((a) => a.tokens)).toEqual([[1, 2], [3]]);
    expect(arrivals[1]?.at).toBeGreaterThanOrEqual(29);
    expect(source.stats.returnCalls).toBe(0);
    subscription.unsubscribe();
    expect(source.stats.returnCalls).toBe(1);
  });
});
