import { describe, expect, it, vi } from 'vitest';
import { interruptible, toArray } from '../../../src/stream/index.js';
import { settle, stop } from './helpers.js';

describe('interruptible', () => {
  it('runs the body afresh for each iteration', async () => {
    let runs = 0;
    const stream = interruptible(async function* () {
      runs += 1;
      yield runs;
    });
    expect(await toArray(stream)).toEqual([1]);
    expect(await toArray(stream)).toEqual([2]);
  });

  it('return() during a wait aborts the context signal and runs the body’s finally before resolving', async () => {
    const events: string[] = [];
    let signal: AbortSignal | undefined;
    const iterator = interruptible(async function* (ctx) {
      signal = ctx.signal;
      try {
        yield await ctx.wait(new Promise<number>(() => {}));
      } finally {
        events.push('finally');
      }
    })[Symbol.asyncIterator]();
    const pending = iterator.next();
    await settle();
    await stop(iterator);
    expect(events).toEqual(['finally']);
    expect(signal?.aborted).toBe(true);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('concurrent next() calls are served in order', async () => {
    const iterator = interruptible(async function* () {
      yield 1;
      yield 2;
    })[Symbol.asyncIterator]();
    const results = await Promise.all([iterator.next(), iterator.next(), iterator.next()]);
    expect(results).toEqual([
      { done: false, value: 1 },
      { done: false, value: 2 },
      { done: true, value: undefined },
    ]);
  });

  it('an error from a return() cleanup reaches the caller of return()', async () => {
    const failure = new Error('cleanup');
    const iterator = interruptible(async function* () {
      try {
        yield 1;
      } finally {
        // eslint-disable-next-line no-unsafe-finally
        throw failure;
      }
    })[Symbol.asyncIterator]();
    await iterator.next();
    await expect(iterator.return?.()).rejects.toBe(failure);
  });

  it('abort with nobody waiting runs the cleanup at once and is reported by the next next()', async () => {
    const controller = new AbortController();
    const events: string[] = [];
    const iterator = interruptible(
      async function* () {
        try {
          yield 1;
          yield 2;
        } finally {
          events.push('finally');
        }
      },
      { signal: controller.signal },
    )[Symbol.asyncIterator]();
    await iterator.next();
    controller.abort('later');
    await settle();
    expect(events).toEqual(['finally']);
    await expect(iterator.next()).rejects.toBe('later');
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('stops listening to the caller’s signal once finished', async () => {
    const controller = new AbortController();
    const added = vi.spyOn(controller.signal, 'addEventListener');
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    const stream = interruptible(
      async function* () {
        yield 1;
      },
      { signal: controller.signal },
    );
    expect(await toArray(stream)).toEqual([1]);
    expect(added).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]?.[1]);
  });
});
