import fc from 'fast-check';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { chunkTimed, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { delayed, sleep } from './helpers.js';

function chunksOf<T>(input: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < input.length; i += size) out.push(input.slice(i, i + size));
  return out;
}

/** A source whose values are released by hand; counts next() calls. */
function manualSource<T>(): { source: AsyncIterable<T>; emit(value: T): void; end(): void; nextCalls(): number } {
  const waiting: Array<(r: IteratorResult<T, undefined>) => void> = [];
  const queued: Array<IteratorResult<T, undefined>> = [];
  let calls = 0;
  const deliver = (r: IteratorResult<T, undefined>): void => {
    const resolve = waiting.shift();
    if (resolve) resolve(r);
    else queued.push(r);
  };
  return {
    source: {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          calls += 1;
          const r = queued.shift();
          return r ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve));
        },
        return: () => Promise.resolve({ done: true as const, value: undefined }),
      }),
    },
    emit: (value) => deliver({ done: false, value }),
    end: () => deliver({ done: true, value: undefined }),
    nextCalls: () => calls,
  };
}

describe('chunkTimed', () => {
  describe('contract (size-bound: the timer never fires)', () => {
    checkOperatorContract({
      make: (options) => chunkTimed({ size: 3, maxWaitMs: 60_000 }, options),
      model: (input) => chunksOf(input, 3),
    });
  });

  describe('with fake timers', () => {
    afterEach(() => {
      vi.useRealTimers();
    });

    it('emits a partial chunk maxWaitMs after its first value, and keeps the pending pull for the next chunk', async () => {
      vi.useFakeTimers();
      const manual = manualSource<number>();
      const emitted: Array<{ at: number; chunk: number[] }> = [];
      const start = Date.now();
      const consumer = (async () => {
        for await (const c of chunkTimed<number>({ size: 3, maxWaitMs: 50 })(manual.source)) emitted.push({ at: Date.now() - start, chunk: c });
      })();

      await vi.advanceTimersByTimeAsync(10);
      manual.emit(1); // t=10: opens a chunk, deadline t=60
      await vi.advanceTimersByTimeAsync(20);
      manual.emit(2); // t=30
      await vi.advanceTimersByTimeAsync(29);
      expect(emitted).toEqual([]); // t=59
      await vi.advanceTimersByTimeAsync(1);
      expect(emitted).toEqual([{ at: 60, chunk: [1, 2] }]);
      const callsAtTimeout = manual.nextCalls();

      await vi.advanceTimersByTimeAsync(500); // idle: never an empty chunk
      expect(emitted).toHaveLength(1);
      manual.emit(3); // t=560: the pull that was pending when the timer fired gets it
      await vi.advanceTimersByTimeAsync(0);
      expect(manual.nextCalls()).toBe(callsAtTimeout + 1);
      manual.emit(4);
      manual.emit(5); // size reached at once
      await vi.advanceTimersByTimeAsync(0);
      expect(emitted.at(-1)).toEqual({ at: 560, chunk: [3, 4, 5] });
      manual.emit(6);
      manual.end();
      await consumer;
      expect(emitted.map((e) => e.chunk)).toEqual([[1, 2], [3, 4, 5], [6]]);
    });

    it('times each chunk from its own first value', async () => {
      vi.useFakeTimers();
      const manual = manualSource<string>();
      const emitted: Array<{ at: number; chunk: string[] }> = [];
      const start = Date.now();
      const consumer = (async () => {
        for await (const c of chunkTimed<string>({ size: 10, maxWaitMs: 100 })(manual.source)) emitted.push({ at: Date.now() - start, chunk: c });
      })();
      manual.emit('a'); // t=0
      await vi.advanceTimersByTimeAsync(100);
      await vi.advanceTimersByTimeAsync(30);
      manual.emit('b'); // t=130: a new chunk, deadline t=230
      await vi.advanceTimersByTimeAsync(99);
      expect(emitted).toEqual([{ at: 100, chunk: ['a'] }]);
      await vi.advanceTimersByTimeAsync(1);
      expect(emitted).toEqual([
        { at: 100, chunk: ['a'] },
        { at: 230, chunk: ['b'] },
      ]);
      manual.end();
      await consumer;
    });
  });

  it('never loses, duplicates or reorders items, whatever the sizes and timings (property, real timers)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer(), { maxLength: 14 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 1, maxLength: 4 }),
        async (input, sourceDelays, size, maxWaitMs, consumerDelays) => {
          const chunks: number[][] = [];
          for await (const c of chunkTimed<number>({ size, maxWaitMs })(delayed(input, sourceDelays))) {
            chunks.push(c);
            const pause = consumerDelays[chunks.length % consumerDelays.length] ?? 0;
            if (pause > 0) await sleep(pause);
          }
          expect(chunks.flat()).toEqual(input);
          expect(chunks.every((c) => c.length >= 1 && c.length <= size)).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('emits the partial last chunk when the source ends before the timer', async () => {
    expect(await toArray(chunkTimed<number>({ size: 4, maxWaitMs: 60_000 })(delayed([1, 2, 3, 4, 5], [0])))).toEqual([[1, 2, 3, 4], [5]]);
  });

  it('rejects bad limits at once', () => {
    expect(() => chunkTimed({ size: 0, maxWaitMs: 10 })).toThrow(ConfigError);
    expect(() => chunkTimed({ size: 2, maxWaitMs: 0 })).toThrow(/chunkTimed\.maxWaitMs/);
    expect(() => chunkTimed({ size: 2, maxWaitMs: Infinity })).toThrow(/chunkTimed\.maxWaitMs/);
  });
});
