import fc from 'fast-check';
import { concat, EMPTY, from, of, Subject, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { BufferOverflowError, ConfigError } from '../../src/errors/index.js';
import { type AsyncOperator, chunk, flatMap, interruptible, map, SourceReader } from '../../src/stream/index.js';
import { createBackpressure, fromAsyncIterable, fromAsyncOperator } from '../../operators/index.js';
import { probe, range, settle, sleep } from '../src/stream/helpers.js';
import { collect, latch, until } from './helpers.js';

const double = map((x: number) => x * 2);

/** An async operator that passes values through and records when its cleanup ran. */
function tracked<T>(): { op: AsyncOperator<T, T>; state: { cleaned: boolean } } {
  const state = { cleaned: false };
  const op: AsyncOperator<T, T> = (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      try {
        for (let r = await reader.next(); r.done !== true; r = await reader.next()) yield r.value;
      } finally {
        await reader.close();
        state.cleaned = true;
      }
    });
  return { op, state };
}

describe('fromAsyncOperator', () => {
  describe('operator checklist', () => {
    it('completes without values for an empty input', async () => {
      expect(await collect(EMPTY.pipe(fromAsyncOperator(double)))).toEqual({ values: [], completed: true });
    });

    it('processes one value', async () => {
      expect(await collect(of(21).pipe(fromAsyncOperator(double)))).toEqual({ values: [42], completed: true });
    });

    it('processes many values in order, equal to the async operator alone (property)', async () => {
      const op = chunk<number>(3);
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer(), { maxLength: 80 }), async (input) => {
          const expected: number[][] = [];
          for await (const c of op(input.length === 0 ? probe([]) : probe(input))) expected.push(c);
          const seen = await collect(fromAsyncIterable(input).pipe(fromAsyncOperator(op, { capacity: 4, policy: 'block', backpressure: createBackpressure() })));
          expect(seen).toEqual({ values: expected, completed: true });
        }),
        { numRuns: 30 },
      );
    });

    it('preserves order through an operator with uneven async delays', async () => {
      const jittery = map(async (x: number) => {
        await sleep(x % 3);
        return x;
      });
      expect((await collect(from(range(30)).pipe(fromAsyncOperator(jittery)))).values).toEqual(range(30));
    });

    it('delivers an upstream error through the operator, after the values before it', async () => {
      const failure = new Error('upstream broke');
      const seen = await collect(concat(of(1, 2), throwError(() => failure)).pipe(fromAsyncOperator(double)));
      expect(seen).toEqual({ values: [2, 4], error: failure, completed: false });
    });

    it('delivers an error of the operator callback, releases the source and runs the cleanup', async () => {
      const failure = new Error('callback broke');
      const source = probe(range(10), 'hang');
      const throwing = map((x: number) => {
        if (x === 3) throw failure;
        return x;
      });
      const seen = await collect(fromAsyncIterable(source).pipe(fromAsyncOperator(throwing)));
      expect(seen).toEqual({ values: [1, 2], error: failure, completed: false });
      expect(source.stats.returnCalls).toBe(1);
    });

    it('unsubscribing while the source never yields again calls its return() synchronously and runs the cleanup within a tick', async () => {
      const source = probe<number>([1], 'hang');
      const { op, state } = tracked<number>();
      const values: number[] = [];
      const subscription = fromAsyncIterable(source).pipe(fromAsyncOperator(op)).subscribe((v) => values.push(v));
      await settle();
      expect(values).toEqual([1]);
      expect(source.stats.nextCalls).toBe(2);
      subscription.unsubscribe();
      expect(source.stats.returnCalls).toBe(1);
      await settle();
      expect(state.cleaned).toBe(true);
      expect(source.stats.nextCalls).toBe(2);
      expect(values).toEqual([1]);
    });

    it('unsubscribing while the operator awaits its own callback stops it at once', async () => {
      const stuck = latch();
      const subject = new Subject<number>();
      let cleaned = false;
      const slow: AsyncOperator<number, number> = (source) =>
        interruptible(async function* (ctx) {
          const reader = new SourceReader(source, ctx);
          try {
            for (let r = await reader.next(); r.done !== true; r = await reader.next()) yield await ctx.wait(stuck.promise.then(() => r.value));
          } finally {
            await reader.close();
            cleaned = true;
          }
        });
      const subscription = subject.pipe(fromAsyncOperator(slow)).subscribe();
      subject.next(1);
      await settle();
      subscription.unsubscribe();
      expect(subject.observed).toBe(false);
      await settle();
      expect(cleaned).toBe(true);
    });

    it('applies the operator afresh for each subscription', async () => {
      const chunked = of(1, 2, 3, 4, 5).pipe(fromAsyncOperator(chunk<number>(2)));
      const expected = { values: [[1, 2], [3, 4], [5]], completed: true };
      expect(await collect(chunked)).toEqual(expected);
      expect(await collect(chunked)).toEqual(expected);
    });

    it('an operator that ends early (take) ends the upstream subscription', async () => {
      const subject = new Subject<number>();
      const firstTwo: AsyncOperator<number, number> = (source) =>
        interruptible(async function* (ctx) {
          const reader = new SourceReader(source, ctx);
          try {
            for (let i = 0; i < 2; i++) {
              const r = await reader.next();
              if (r.done === true) return;
              yield r.value;
            }
          } finally {
            await reader.close();
          }
        });
      const seen = collect(subject.pipe(fromAsyncOperator(firstTwo)));
      subject.next(1);
      subject.next(2);
      subject.next(3);
      expect(await seen).toEqual({ values: [1, 2], completed: true });
      expect(subject.observed).toBe(false);
    });
  });

  it('checks its options when it is created', () => {
    expect(() => fromAsyncOperator(double, { capacity: 1.5 })).toThrow(/fromAsyncOperator.capacity/);
    expect(() => fromAsyncOperator(double, { policy: 'drop-newest' as 'error' })).toThrow(ConfigError);
    expect(() => fromAsyncOperator(double, { policy: 'block', name: 'scores' })).toThrow(/scores.backpressure.*createBackpressure/);
  });

  describe('policies', () => {
    it('error (default): overflow ends the upstream subscription at once and reaches the subscriber as BufferOverflowError with the capacity', async () => {
      const subject = new Subject<number>();
      const seen = collect(subject.pipe(fromAsyncOperator(double, { capacity: 3, name: 'scores' })));
      let observedAfter = 0;
      for (let i = 1; i <= 10 && subject.observed; i++) {
        subject.next(i);
        observedAfter = i;
      }
      // 1 went straight to the waiting operator, 2..4 filled the buffer, 5 overflowed.
      expect(observedAfter).toBe(5);
      const { values, error } = await seen;
      expect(values).toEqual([2, 4, 6, 8]);
      expect(error).toBeInstanceOf(BufferOverflowError);
      expect(error).toMatchObject({ buffer: 'scores', capacity: 3 });
    });

    it('error, marble: the upstream subscription ends in the frame of the overflowing value', async () => {
      let seen: Promise<unknown> | undefined;
      new TestScheduler((a, b) => expect(a).toEqual(b)).run(({ cold, expectSubscriptions }) => {
        const source = cold('a-b-c-d-e-f|', { a: 1, b: 2, c: 3, d: 4, e: 5, f: 6 });
        seen = collect(source.pipe(fromAsyncOperator(double, { capacity: 2 })));
        expectSubscriptions(source.subscriptions).toBe('^-----!');
      });
      expect(await seen).toMatchObject({ values: [2, 4, 6], error: expect.any(BufferOverflowError) });
    });

    it('drop-oldest: keeps the newest values in order and counts what it dropped', async () => {
      const subject = new Subject<number>();
      const drops: [number, number][] = [];
      const seen = collect(subject.pipe(fromAsyncOperator(double, { capacity: 3, policy: 'drop-oldest', onDrop: (v, n) => drops.push([v, n]) })));
      for (let i = 1; i <= 10; i++) subject.next(i);
      subject.complete();
      const { values, completed } = await seen;
      expect(completed).toBe(true);
      expect(values).toEqual([2, 16, 18, 20]);
      expect(drops).toEqual([2, 3, 4, 5, 6, 7].map((v, i) => [v, i + 1]));
    });

    it('drop-oldest: an error thrown by onDrop reaches the subscriber', async () => {
      const failure = new Error('onDrop broke');
      const subject = new Subject<number>();
      const seen = collect(
        subject.pipe(
          fromAsyncOperator(double, {
            capacity: 1,
            policy: 'drop-oldest',
            onDrop: () => {
              throw failure;
            },
          }),
        ),
      );
      for (let i = 1; i <= 4; i++) subject.next(i);
      expect((await seen).error).toBe(failure);
    });

    it('block: the gate stops a fromAsyncIterable source from reading (pulls counted) and nothing is lost', async () => {
      const capacity = 4;
      const gate = createBackpressure();
      const source = probe(range(200));
      const hold = latch();
      let maxAhead = 0;
      let processed = 0;
      const slow = map(async (x: number) => {
        maxAhead = Math.max(maxAhead, source.stats.nextCalls - processed);
        await hold.promise;
        processed += 1;
        return x;
      });
      const seen = collect(fromAsyncIterable(source, { backpressure: gate }).pipe(fromAsyncOperator(slow, { capacity, policy: 'block', backpressure: gate })));
      await until(() => !gate.open, 2000, 'the gate closing');
      await sleep(10);
      // One value in the operator's hands, `capacity` in the buffer; the source waits at the gate.
      expect(source.stats.nextCalls).toBe(capacity + 1);
      expect(gate.open).toBe(false);
      hold.open();
      expect(await seen).toEqual({ values: range(200), completed: true });
      expect(maxAhead).toBeLessThanOrEqual(capacity + 1);
      expect(gate.open).toBe(true);
    });

    it('block: one gate shared along a chain stops the source; what fan-out produces after it closed waits in line, nothing lost', async () => {
      const gate = createBackpressure();
      const source = probe(range(40));
      const hold = latch();
      const tenEach = flatMap((x: number) => range(10).map((i) => x * 100 + i));
      const slow = map(async (x: number) => {
        await hold.promise;
        return x;
      });
      const options = { capacity: 3, policy: 'block', backpressure: gate } as const;
      const seen = collect(fromAsyncIterable(source, { backpressure: gate }).pipe(fromAsyncOperator(tenEach, options), fromAsyncOperator(slow, options)));
      await until(() => !gate.open, 2000, 'the gate closing');
      await sleep(10);
      // The source stopped once the buffers filled: at most the first buffer's worth plus what the fan-out holds,
      // while 400 values were wanted; the rest of the first value's ten outputs wait in the second buffer's line.
      expect(source.stats.nextCalls).toBeLessThanOrEqual(options.capacity + 2);
      expect(gate.open).toBe(false);
      hold.open();
      expect(await seen).toEqual({ values: range(40).flatMap((x) => range(10).map((i) => x * 100 + i)), completed: true });
    });

    it('block: values from a source that ignores the gate wait in line and are not lost', async () => {
      const subject = new Subject<number>();
      const seen = collect(subject.pipe(fromAsyncOperator(double, { capacity: 2, policy: 'block', backpressure: createBackpressure() })));
      for (let i = 1; i <= 10; i++) subject.next(i);
      subject.complete();
      expect(await seen).toEqual({ values: range(10).map((x) => x * 2), completed: true });
    });
  });
});
