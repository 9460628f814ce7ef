import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferOverflowError, ConfigError } from '../../../src/errors/index.js';
import { buffer, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { delayed, probe, range, settle, sleep, within } from './helpers.js';

/** Lets the buffer's pump run until the source has seen `calls` next() calls (or gives up). */
async function untilPulled(stats: { nextCalls: number }, calls: number): Promise<void> {
  for (let i = 0; i < 100 && stats.nextCalls < calls; i++) await settle();
}

describe('buffer', () => {
  describe('contract (block)', () => {
    checkOperatorContract({
      make: (options) => buffer({ capacity: 4, policy: 'block' }, options),
      model: (input) => [...input],
    });
  });

  describe('contract (drop-oldest, large enough never to drop)', () => {
    checkOperatorContract({
      make: (options) => buffer({ capacity: 64, policy: 'drop-oldest' }, options),
      model: (input) => [...input],
      throwing: (error) =>
        buffer({
          capacity: 1,
          policy: 'drop-oldest',
          onDrop: () => {
            throw error;
          },
        }),
    });
  });

  it('block: reads ahead up to the capacity, then stops pulling until the consumer takes a value', async () => {
    const capacity = 4;
    const source = probe(range(100));
    const iterator = buffer<number>({ capacity, policy: 'block' })(source)[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await untilPulled(source.stats, 1000);
    // 1 handed over, `capacity` queued, 1 held by a push waiting for room.
    expect(source.stats.nextCalls).toBe(capacity + 2);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    await untilPulled(source.stats, 1000);
    expect(source.stats.nextCalls).toBe(capacity + 3);
    await iterator.return?.();
    expect(source.stats.returnCalls).toBe(1);
  });

  it('block: never loses or reorders items, whatever the timings (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.array(fc.integer(), { maxLength: 25 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }),
        fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 4 }),
        async (capacity, input, sourceDelays, consumerDelays) => {
          const out: number[] = [];
          for await (const v of buffer<number>({ capacity, policy: 'block' })(delayed(input, sourceDelays))) {
            out.push(v);
            const pause = consumerDelays[out.length % consumerDelays.length] ?? 0;
            if (pause > 0) await sleep(pause);
          }
          expect(out).toEqual(input);
        },
      ),
      { numRuns: 25 },
    );
  });

  it('drop-oldest: keeps reading while the consumer is busy, discarding and reporting the oldest', async () => {
    const source = probe(range(20));
    const drops: Array<[number, number]> = [];
    const iterator = buffer<number>({ capacity: 4, policy: 'drop-oldest', onDrop: (v, n) => drops.push([v, n]) })(source)[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await untilPulled(source.stats, 21);
    const rest: number[] = [];
    for (let r = await iterator.next(); r.done !== true; r = await iterator.next()) rest.push(r.value);
    expect(rest).toEqual([17, 18, 19, 20]);
    expect(drops).toEqual(range(15).map((i) => [i + 1, i]));
  });

  it('error: fails with a BufferOverflowError stating the capacity, after the values queued before it, and releases the source', async () => {
    const source = probe(range(20));
    const iterator = buffer<number>({ capacity: 3, policy: 'error' })(source)[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await untilPulled(source.stats, 5);
    await settle();
    expect(source.stats.nextCalls).toBe(5); // 1 handed over, 3 queued, the 5th overflowed
    const queued = [await iterator.next(), await iterator.next(), await iterator.next()].map((r) => r.value);
    expect(queued).toEqual([2, 3, 4]);
    const error = await iterator.next().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BufferOverflowError);
    expect(error).toMatchObject({ capacity: 3, message: expect.stringMatching(/buffer.*capacity 3/) });
    expect(source.stats.returnCalls).toBe(1);
  });

  it('delivers an upstream error after the values read before it', async () => {
    const failure = new Error('disk gone');
    const iterator = buffer<number>({ capacity: 10, policy: 'block' })(probe(range(3), { error: failure }))[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    await settle();
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    expect(await iterator.next()).toEqual({ done: false, value: 3 });
    await expect(iterator.next()).rejects.toBe(failure);
  });

  it('return() releases a source whose pull is in flight', async () => {
    const source = probe(range(2), 'hang');
    const out: number[] = [];
    await within(
      (async () => {
        for await (const v of buffer<number>({ capacity: 8, policy: 'block' })(source)) {
          out.push(v);
          if (v === 2) break;
        }
      })(),
    );
    expect(out).toEqual([1, 2]);
    expect(source.stats.returnCalls).toBe(1);
  });

  it('names itself in overflow errors', async () => {
    const op = buffer<number>({ capacity: 1, policy: 'error', name: 'tokens for model A' });
    const source = probe(range(5));
    const iterator = op(source)[Symbol.asyncIterator]();
    await iterator.next();
    await untilPulled(source.stats, 3);
    await settle();
    await iterator.next();
    await expect(iterator.next()).rejects.toThrow(/tokens for model A/);
  });

  it('rejects bad options at once', async () => {
    expect(() => buffer({ capacity: -1, policy: 'block' })).toThrow(ConfigError);
    expect(() => buffer({ capacity: 1, policy: 'lifo' as 'block' })).toThrow(/buffer\.policy/);
    expect(await toArray(buffer({ capacity: 1, policy: 'block' })(probe<number>([])))).toEqual([]);
  });
});
