import { describe, expect, it } from 'vitest';
import { SourceReader } from '../../../src/stream/index.js';
import { probe, range, settle } from './helpers.js';

describe('SourceReader', () => {
  it('pull() starts one pull whose result next() takes later: nothing is lost or pulled twice', async () => {
    const source = probe(range(3));
    const reader = new SourceReader(source);
    expect(reader.ready).toBe(false);
    const first = reader.pull();
    expect(reader.pull()).toBe(first);
    await first;
    expect(reader.ready).toBe(true);
    await reader.pull();
    expect(source.stats.nextCalls).toBe(1);
    expect(await reader.next()).toEqual({ done: false, value: 1 });
    expect(await reader.next()).toEqual({ done: false, value: 2 });
    expect(await reader.next()).toEqual({ done: false, value: 3 });
    expect(await reader.next()).toEqual({ done: true, value: undefined });
    expect(await reader.next()).toEqual({ done: true, value: undefined });
    expect(source.stats.nextCalls).toBe(4);
    await reader.close();
    expect(source.stats.returnCalls).toBe(0); // it had ended
  });

  it('an error settles the pull: next() rethrows it once, close() does not call return()', async () => {
    const failure = new Error('bad');
    const source = probe([1], { error: failure });
    const reader = new SourceReader(source);
    await reader.next();
    await reader.pull();
    await expect(reader.next()).rejects.toBe(failure);
    expect(await reader.next()).toEqual({ done: true, value: undefined });
    await reader.close();
    expect(source.stats.returnCalls).toBe(0);
  });

  it('close() while a pull is in flight calls return() at once without waiting for it', async () => {
    const source = probe<number>([], 'hang');
    const reader = new SourceReader(source);
    void reader.pull();
    await settle();
    await reader.close();
    expect(source.stats.returnCalls).toBe(1);
    await reader.close();
    expect(source.stats.returnCalls).toBe(1);
  });

  it('close() with a value waiting calls return() and awaits it, propagating its error', async () => {
    const failure = new Error('cleanup failed');
    const source: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: () => Promise.resolve({ done: false, value: 1 }),
        return: () => Promise.reject(failure),
      }),
    };
    const reader = new SourceReader(source);
    await reader.pull();
    await expect(reader.close()).rejects.toBe(failure);
  });

  it('next() rejects with the signal’s reason when it aborts, and the pull stays pending', async () => {
    const controller = new AbortController();
    const source = probe<number>([], 'hang');
    const reader = new SourceReader(source, controller.signal);
    const pending = reader.next();
    controller.abort('stop');
    await expect(pending).rejects.toBe('stop');
    expect(source.stats.nextCalls).toBe(1);
    await reader.close();
    expect(source.stats.returnCalls).toBe(1);
  });

  it('pullWithin() is true once a value is ready, false when time runs out first; the pull is not lost', async () => {
    const source = probe(range(1), 'hang');
    const reader = new SourceReader(source);
    expect(await reader.pullWithin(1000)).toBe(true);
    expect(await reader.pullWithin(0)).toBe(true); // the value is still waiting
    expect(await reader.next()).toEqual({ done: false, value: 1 });
    const started = performance.now();
    expect(await reader.pullWithin(40)).toBe(false);
    expect(performance.now() - started).toBeGreaterThanOrEqual(35);
    expect(await reader.pullWithin(10)).toBe(false);
    expect(source.stats.nextCalls).toBe(2); // one pull, still in flight
    await reader.close();
    expect(source.stats.returnCalls).toBe(1);
  });

  it('pullWithin() rejects with the signal’s reason when it aborts', async () => {
    const controller = new AbortController();
    const reader = new SourceReader(probe<number>([], 'hang'), controller.signal);
    const waiting = reader.pullWithin(10_000);
    controller.abort('stop');
    await expect(waiting).rejects.toBe('stop');
    await reader.close();
  });

  it('reads synchronous iterables, strings included', async () => {
    const reader = new SourceReader('ab');
    expect(await reader.next()).toEqual({ done: false, value: 'a' });
    expect(await reader.next()).toEqual({ done: false, value: 'b' });
    expect((await reader.next()).done).toBe(true);
  });
});
