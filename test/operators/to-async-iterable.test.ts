import fc from 'fast-check';
import { EMPTY, from, Observable, of, Subject, concat, throwError } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { BufferOverflowError, ConfigError } from '../../src/errors/index.js';
import { toArray } from '../../src/stream/index.js';
import { createBackpressure, toAsyncIterable } from '../../operators/index.js';
import { settle, stop, within } from '../src/stream/helpers.js';

const roomy = { capacity: 1000, policy: 'error' } as const;

/** A marble scheduler whose assertions use vitest's deep equality. */
function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** An Observable that never emits and counts its subscriptions and teardowns. */
function silent() {
  const stats = { subscribed: 0, tornDown: 0 };
  const observable = new Observable<number>(() => {
    stats.subscribed += 1;
    return () => (stats.tornDown += 1);
  });
  return { observable, stats };
}

/** Drains an iterator, collecting values until it ends or fails. */
async function drain<T>(iterator: AsyncIterator<T>): Promise<{ values: T[]; error?: unknown }> {
  const values: T[] = [];
  try {
    for (let r = await within(iterator.next()); r.done !== true; r = await within(iterator.next())) values.push(r.value);
    return { values };
  } catch (error) {
    return { values, error };
  }
}

describe('toAsyncIterable', () => {
  it('ends at once for an empty Observable', async () => {
    expect(await toArray(toAsyncIterable(EMPTY, roomy))).toEqual([]);
  });

  it('delivers one value', async () => {
    expect(await toArray(toAsyncIterable(of('x'), roomy))).toEqual(['x']);
  });

  it('delivers many values in order (property), from a synchronous burst and from a producer that honours the gate', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer(), { maxLength: 60 }), async (input) => {
        expect(await toArray(toAsyncIterable(from(input), roomy))).toEqual(input);
        const gate = createBackpressure();
        const subject = new Subject<number>();
        const reading = toArray(toAsyncIterable(subject, { capacity: 1, policy: 'block', backpressure: gate }));
        await settle();
        for (const v of input) {
          await gate.whenOpen();
          subject.next(v);
        }
        subject.complete();
        expect(await within(reading)).toEqual(input);
      }),
      { numRuns: 30 },
    );
  });

  it('delivers an upstream error after the values before it, and the subscription has ended', async () => {
    const failure = new Error('upstream broke');
    const subject = new Subject<number>();
    const iterator = toAsyncIterable(subject, roomy)[Symbol.asyncIterator]();
    const first = iterator.next();
    subject.next(1);
    subject.next(2);
    subject.error(failure);
    expect(await first).toEqual({ done: false, value: 1 });
    expect(await drain(iterator)).toEqual({ values: [2], error: failure });
    expect(await toArray(toAsyncIterable(concat(of(1), throwError(() => failure)), roomy)).catch((e: unknown) => e)).toBe(failure);
  });

  it('an error thrown by onDrop fails the stream and ends the subscription', async () => {
    const failure = new Error('onDrop broke');
    const subject = new Subject<number>();
    const iterator = toAsyncIterable(subject, {
      capacity: 1,
      policy: 'drop-oldest',
      onDrop: () => {
        throw failure;
      },
    })[Symbol.asyncIterator]();
    const first = iterator.next();
    subject.next(1);
    subject.next(2);
    subject.next(3);
    expect(await first).toEqual({ done: false, value: 1 });
    expect(await drain(iterator)).toEqual({ values: [3], error: failure });
    expect(subject.observed).toBe(false);
  });

  it('subscribes on the first next(), not before', async () => {
    const { observable, stats } = silent();
    const iterator = toAsyncIterable(observable, roomy)[Symbol.asyncIterator]();
    expect(stats.subscribed).toBe(0);
    void iterator.next();
    expect(stats.subscribed).toBe(1);
    await stop(iterator);
  });

  it('return() on a silent Observable unsubscribes synchronously and ends the pending next()', async () => {
    const { observable, stats } = silent();
    const iterator = toAsyncIterable(observable, roomy)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await settle();
    void iterator.return?.();
    expect(stats.tornDown).toBe(1);
    await expect(within(pending)).resolves.toEqual({ done: true, value: undefined });
  });

  it('break in for await unsubscribes from an endless source', async () => {
    const subject = new Subject<number>();
    const seen: number[] = [];
    const loop = (async () => {
      for await (const v of toAsyncIterable(subject, roomy)) {
        seen.push(v);
        if (v === 2) break;
      }
    })();
    await settle();
    for (let i = 1; i <= 3; i++) subject.next(i);
    await within(loop);
    expect(seen).toEqual([1, 2]);
    expect(subject.observed).toBe(false);
  });

  it('an aborted signal rejects the pending next() with its reason and unsubscribes', async () => {
    const { observable, stats } = silent();
    const controller = new AbortController();
    const iterator = toAsyncIterable(observable, { ...roomy, signal: controller.signal })[Symbol.asyncIterator]();
    const pending = iterator.next();
    const reason = new Error('stop');
    controller.abort(reason);
    await expect(within(pending)).rejects.toBe(reason);
    expect(stats.tornDown).toBe(1);
    const never = silent();
    await expect(toArray(toAsyncIterable(never.observable, { ...roomy, signal: AbortSignal.abort(reason) }))).rejects.toBe(reason);
    expect(never.stats.subscribed).toBe(0);
  });

  it('checks its options at the call', () => {
    expect(() => toAsyncIterable(EMPTY, { capacity: 0, policy: 'error' })).toThrow(ConfigError);
    expect(() => toAsyncIterable(EMPTY, { capacity: 2, policy: 'wait' as 'block' })).toThrow(/toAsyncIterable.policy/);
    const noGate = (() => {
      try {
        toAsyncIterable(EMPTY, { capacity: 2, policy: 'block', name: 'events' });
      } catch (error) {
        return error;
      }
    })();
    expect(noGate).toBeInstanceOf(ConfigError);
    expect((noGate as ConfigError).field).toBe('events.backpressure');
    expect((noGate as Error).message).toMatch(/createBackpressure\(\)/);
  });

  // The consumer pulls through promises, which virtual time does not drive: within a marble
  // run the consumer takes only the value its first next() waits for, so the buffer sees the
  // whole burst. That makes the push side and its subscription timing exact.
  describe('policies (marble tests of the push side)', () => {
    it('error: the value after a full buffer ends the subscription; the consumer gets what was queued, then BufferOverflowError', async () => {
      let iterator: AsyncIterator<string> | undefined;
      let first: Promise<IteratorResult<string>> | undefined;
      scheduler().run(({ cold, expectSubscriptions }) => {
        const source = cold('a-b-c-d-e-f|');
        iterator = toAsyncIterable(source, { capacity: 3, policy: 'error', name: 'clicks' })[Symbol.asyncIterator]();
        first = iterator.next();
        expectSubscriptions(source.subscriptions).toBe('^-------!');
      });
      expect(await first).toEqual({ done: false, value: 'a' });
      const { values, error } = await drain(iterator as AsyncIterator<string>);
      expect(values).toEqual(['b', 'c', 'd']);
      expect(error).toBeInstanceOf(BufferOverflowError);
      expect(error).toMatchObject({ buffer: 'clicks', capacity: 3, code: 'ERR_BUFFER_OVERFLOW' });
    });

    it('drop-oldest: drops the oldest queued values, counts them and keeps the subscription', async () => {
      const drops: [string, number][] = [];
      let iterator: AsyncIterator<string> | undefined;
      let first: Promise<IteratorResult<string>> | undefined;
      scheduler().run(({ cold, expectSubscriptions }) => {
        const source = cold('a-b-c-d-e-f-g|');
        iterator = toAsyncIterable(source, { capacity: 3, policy: 'drop-oldest', onDrop: (v, n) => drops.push([v, n]) })[Symbol.asyncIterator]();
        first = iterator.next();
        expectSubscriptions(source.subscriptions).toBe('^------------!');
      });
      expect(await first).toEqual({ done: false, value: 'a' });
      expect(await drain(iterator as AsyncIterator<string>)).toEqual({ values: ['e', 'f', 'g'] });
      expect(drops).toEqual([
        ['b', 1],
        ['c', 2],
        ['d', 3],
      ]);
    });

    it('block: closes the gate when full, queues what still comes, loses nothing, reopens as it drains', async () => {
      const gate = createBackpressure();
      const gateOpenAt: boolean[] = [];
      let iterator: AsyncIterator<string> | undefined;
      let first: Promise<IteratorResult<string>> | undefined;
      scheduler().run(({ cold, expectSubscriptions }) => {
        const source = cold('a-b-c-d-e|');
        source.subscribe(() => gateOpenAt.push(gate.open));
        iterator = toAsyncIterable(source, { capacity: 2, policy: 'block', backpressure: gate })[Symbol.asyncIterator]();
        first = iterator.next();
        expectSubscriptions(source.subscriptions).toBe(['^--------!', '^--------!']);
      });
      // The spy subscribed first, so it sees the gate before each value is offered: closed from the 4th on (a went to the waiting next(), b and c fill the buffer).
      expect(gateOpenAt).toEqual([true, true, true, false, false]);
      expect(await first).toEqual({ done: false, value: 'a' });
      const rest = iterator as AsyncIterator<string>;
      expect(await rest.next()).toEqual({ done: false, value: 'b' });
      expect(gate.open).toBe(false); // d moved into the freed slot: still full
      expect(await rest.next()).toEqual({ done: false, value: 'c' });
      expect(await rest.next()).toEqual({ done: false, value: 'd' });
      expect(gate.open).toBe(true);
      expect(await drain(rest)).toEqual({ values: ['e'] });
    });

    it('block: values that keep coming while the gate is closed wait in line, in order', async () => {
      let iterator: AsyncIterator<string> | undefined;
      scheduler().run(({ cold, expectSubscriptions }) => {
        const source = cold('abcdefgh|');
        iterator = toAsyncIterable(source, { capacity: 2, policy: 'block', backpressure: createBackpressure() })[Symbol.asyncIterator]();
        void iterator.next();
        expectSubscriptions(source.subscriptions).toBe('^-------!');
      });
      expect(await drain(iterator as AsyncIterator<string>)).toEqual({ values: ['b', 'c', 'd', 'e', 'f', 'g', 'h'] });
    });
  });

  it('return() withdraws its hold on the gate', async () => {
    const gate = createBackpressure();
    const subject = new Subject<number>();
    const iterator = toAsyncIterable(subject, { capacity: 1, policy: 'block', backpressure: gate })[Symbol.asyncIterator]();
    void iterator.next();
    subject.next(1);
    subject.next(2);
    expect(gate.open).toBe(false);
    await stop(iterator);
    expect(gate.open).toBe(true);
    expect(subject.observed).toBe(false);
  });
});
