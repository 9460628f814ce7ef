import fc from 'fast-check';
import { config, map, take } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { TitansError } from '../../src/errors/index.js';
import { createBackpressure, fromAsyncIterable } from '../../operators/index.js';
import { probe, range, settle } from '../src/stream/helpers.js';
import { collect } from './helpers.js';

describe('fromAsyncIterable', () => {
  afterEach(() => {
    config.onUnhandledError = null;
  });

  it('completes without values for an empty source, opening it once', async () => {
    const source = probe<number>([]);
    expect(await collect(fromAsyncIterable(source))).toEqual({ values: [], completed: true });
    expect(source.stats.opened).toBe(1);
  });

  it('emits one value, then completes', async () => {
    expect(await collect(fromAsyncIterable(probe(['x'])))).toEqual({ values: ['x'], completed: true });
  });

  it('emits many values in order (property), also from a synchronous iterable', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 50 }), async (input) => {
        expect((await collect(fromAsyncIterable(probe(input)))).values).toEqual(input);
        expect((await collect(fromAsyncIterable(input))).values).toEqual(input);
      }),
      { numRuns: 40 },
    );
  });

  it('pulls one value at a time: no read-ahead before a value is emitted', async () => {
    const source = probe(range(20));
    const pullsAtEmit: number[] = [];
    const seen = await collect(fromAsyncIterable(source).pipe(map((v) => (pullsAtEmit.push(source.stats.nextCalls), v))));
    expect(seen.values).toEqual(range(20));
    expect(pullsAtEmit).toEqual(range(20));
  });

  it('passes a source error to subscriber.error, after the values before it', async () => {
    const failure = new Error('source broke');
    expect(await collect(fromAsyncIterable(probe([1, 2], { error: failure })))).toEqual({ values: [1, 2], error: failure, completed: false });
  });

  it('passes errors of opening the source to subscriber.error', async () => {
    const failure = new Error('cannot open');
    const seen = await collect(
      fromAsyncIterable<number>(() => {
        throw failure;
      }),
    );
    expect(seen.error).toBe(failure);
    expect((await collect(fromAsyncIterable(42 as unknown as Iterable<number>))).error).toBeInstanceOf(TypeError);
  });

  it('an error in a downstream callback releases the source at once', async () => {
    const failure = new Error('callback broke');
    const source = probe(range(10), 'hang');
    const seen = await collect(
      fromAsyncIterable(source).pipe(
        map((v) => {
          if (v === 3) throw failure;
          return v;
        }),
      ),
    );
    expect(seen).toEqual({ values: [1, 2], error: failure, completed: false });
    expect(source.stats.returnCalls).toBe(1);
    expect(source.stats.nextCalls).toBe(3);
  });

  it('unsubscribing while next() is pending on a silent source calls return() synchronously and aborts the signal', async () => {
    const source = probe<number>([], 'hang');
    const signals: AbortSignal[] = [];
    const values: number[] = [];
    const subscription = fromAsyncIterable((signal) => (signals.push(signal), source)).subscribe((v) => values.push(v));
    await settle();
    expect(source.stats.nextCalls).toBe(1);
    subscription.unsubscribe();
    expect(source.stats.returnCalls).toBe(1);
    expect(signals[0]?.aborted).toBe(true);
    expect((signals[0]?.reason as TitansError).code).toBe('ERR_UNSUBSCRIBED');
    await settle();
    expect(values).toEqual([]);
    expect(source.stats.nextCalls).toBe(1);
  });

  it('take(n) on an endless source stops after exactly n pulls and returns the iterator', async () => {
    const source = probe(range(1000), 'hang');
    expect((await collect(fromAsyncIterable(source).pipe(take(3)))).values).toEqual([1, 2, 3]);
    expect(source.stats.nextCalls).toBe(3);
    expect(source.stats.returnCalls).toBe(1);
  });

  it("runs an async generator's finally when the subscriber stops between values", async () => {
    let cleaned = false;
    async function* endless() {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        cleaned = true;
      }
    }
    expect((await collect(fromAsyncIterable(endless()).pipe(take(2)))).values).toEqual([0, 1]);
    await settle();
    expect(cleaned).toBe(true);
  });

  it('does not abort the signal or call return() after the source has ended', async () => {
    const source = probe([1]);
    let signal: AbortSignal | undefined;
    await collect(fromAsyncIterable((s) => ((signal = s), source)));
    expect(signal?.aborted).toBe(false);
    expect(source.stats.returnCalls).toBe(0);
  });

  it('opens the source afresh for each subscription', async () => {
    let opened = 0;
    const observable = fromAsyncIterable(() => (opened++, probe([1, 2])));
    expect((await collect(observable)).values).toEqual([1, 2]);
    expect((await collect(observable)).values).toEqual([1, 2]);
    expect(opened).toBe(2);
  });

  it('does not pull while the backpressure gate is closed, and resumes when it reopens', async () => {
    const gate = createBackpressure();
    const reopen = gate.close();
    const source = probe(range(5));
    const values: number[] = [];
    let completed = false;
    fromAsyncIterable(source, { backpressure: gate }).subscribe({ next: (v) => values.push(v), complete: () => (completed = true) });
    await settle();
    expect(source.stats.nextCalls).toBe(0);
    reopen();
    await settle();
    expect(values).toEqual(range(5));
    expect(completed).toBe(true);
  });

  it('unsubscribing while waiting at a closed gate releases the source', async () => {
    const gate = createBackpressure();
    gate.close();
    const source = probe(range(5));
    const subscription = fromAsyncIterable(source, { backpressure: gate }).subscribe();
    await settle();
    subscription.unsubscribe();
    expect(source.stats.returnCalls).toBe(1);
    expect(source.stats.nextCalls).toBe(0);
  });

  it("reports a return() that fails after unsubscribe to config.onUnhandledError", async () => {
    const failure = new Error('return broke');
    const reported: unknown[] = [];
    config.onUnhandledError = (error) => reported.push(error);
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: false, value: 1 }),
        return: () => Promise.reject(failure),
      }),
    };
    await collect(fromAsyncIterable(source).pipe(take(1)));
    await settle();
    expect(reported).toEqual([failure]);
  });
});
