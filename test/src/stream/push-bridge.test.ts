import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BufferOverflowError, ConfigError, TitansError } from '../../../src/errors/index.js';
import { pushBridge, type BufferPolicy } from '../../../src/stream/index.js';
import { settle, sleep, within } from './helpers.js';

/** Whether `promise` has settled after pending callbacks ran. */
async function hasSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settle();
  return settled;
}

describe('pushBridge', () => {
  it('delivers pushed values in order, then ends', async () => {
    const bridge = pushBridge<number>({ capacity: 4, policy: 'block' });
    await bridge.push(1);
    await bridge.push(2);
    expect(bridge.size).toBe(2);
    bridge.end();
    const out: number[] = [];
    for await (const v of bridge) out.push(v);
    expect(out).toEqual([1, 2]);
    expect(bridge.size).toBe(0);
  });

  it('hands a value straight to a waiting consumer', async () => {
    const bridge = pushBridge<string>({ capacity: 1, policy: 'error' });
    const iterator = bridge[Symbol.asyncIterator]();
    const pending = iterator.next();
    expect(bridge.tryPush('x')).toBe(true);
    expect(await pending).toEqual({ done: false, value: 'x' });
    expect(bridge.size).toBe(0);
  });

  describe('block', () => {
    it('push() resolves only when there is room', async () => {
      const bridge = pushBridge<number>({ capacity: 2, policy: 'block' });
      await bridge.push(1);
      await bridge.push(2);
      const third = bridge.push(3);
      expect(await hasSettled(third)).toBe(false);
      expect(bridge.tryPush(4)).toBe(false);
      const iterator = bridge[Symbol.asyncIterator]();
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      expect(await hasSettled(third)).toBe(true);
      expect(bridge.size).toBe(2);
      bridge.end();
      expect(await iterator.next()).toEqual({ done: false, value: 2 });
      expect(await iterator.next()).toEqual({ done: false, value: 3 });
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('values of push() calls still waiting at end() are delivered', async () => {
      const bridge = pushBridge<number>({ capacity: 1, policy: 'block' });
      const pushes = [bridge.push(1), bridge.push(2), bridge.push(3)];
      bridge.end();
      const out: number[] = [];
      for await (const v of bridge) out.push(v);
      expect(out).toEqual([1, 2, 3]);
      await Promise.all(pushes);
    });

    it('never loses or reorders items and never holds more than capacity, whatever the timings (property)', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 5 }),
          fc.array(fc.integer(), { maxLength: 30 }),
          fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }),
          fc.array(fc.integer({ min: 0, max: 2 }), { minLength: 1, maxLength: 5 }),
          async (capacity, input, producerDelays, consumerDelays) => {
            const bridge = pushBridge<number>({ capacity, policy: 'block' });
            const producer = (async () => {
              for (const [i, value] of input.entries()) {
                const pause = producerDelays[i % producerDelays.length] ?? 0;
                if (pause > 0) await sleep(pause);
                await bridge.push(value);
                expect(bridge.size).toBeLessThanOrEqual(capacity);
              }
              bridge.end();
            })();
            const out: number[] = [];
            for await (const value of bridge) {
              out.push(value);
              expect(bridge.size).toBeLessThanOrEqual(capacity);
              const pause = consumerDelays[out.length % consumerDelays.length] ?? 0;
              if (pause > 0) await sleep(pause);
              else await settle();
            }
            await producer;
            expect(out).toEqual(input);
            expect(bridge.dropped).toBe(0);
          },
        ),
        { numRuns: 25 },
      );
    });
  });

  describe('drop-oldest', () => {
    it('discards the oldest values, counts and reports them', async () => {
      const drops: Array<[number, number]> = [];
      const bridge = pushBridge<number>({ capacity: 3, policy: 'drop-oldest', onDrop: (v, n) => drops.push([v, n]) });
      for (let i = 1; i <= 7; i++) await bridge.push(i);
      expect(bridge.tryPush(8)).toBe(true);
      bridge.end();
      const out: number[] = [];
      for await (const v of bridge) out.push(v);
      expect(out).toEqual([6, 7, 8]);
      expect(bridge.dropped).toBe(5);
      expect(drops).toEqual([1, 2, 3, 4, 5].map((v, i) => [v, i + 1]));
    });

    it('fails the stream, after the queued values, if onDrop throws', async () => {
      const failure = new Error('metrics down');
      const bridge = pushBridge<number>({
        capacity: 1,
        policy: 'drop-oldest',
        onDrop: () => {
          throw failure;
        },
      });
      await bridge.push(1);
      await bridge.push(2);
      const out: number[] = [];
      await expect(
        (async () => {
          for await (const v of bridge) out.push(v);
        })(),
      ).rejects.toBe(failure);
      expect(out).toEqual([2]);
    });
  });

  describe('error', () => {
    it('push() on a full buffer rejects with a BufferOverflowError stating the capacity; the consumer gets the queued values, then the error', async () => {
      const bridge = pushBridge<number>({ capacity: 2, policy: 'error', name: 'events/0' });
      await bridge.push(1);
      await bridge.push(2);
      expect(bridge.tryPush(3)).toBe(false);
      const overflow = await bridge.push(3).catch((e: unknown) => e);
      expect(overflow).toBeInstanceOf(BufferOverflowError);
      expect(overflow).toMatchObject({ code: 'ERR_BUFFER_OVERFLOW', capacity: 2, buffer: 'events/0' });
      expect((overflow as Error).message).toMatch(/events\/0.*capacity 2/);
      const out: number[] = [];
      await expect(
        (async () => {
          for await (const v of bridge) out.push(v);
        })(),
      ).rejects.toBe(overflow);
      expect(out).toEqual([1, 2]);
      await expect(bridge.push(4)).rejects.toMatchObject({ code: 'ERR_STREAM_CLOSED' });
    });
  });

  it('fail() delivers the queued values, then the error unchanged', async () => {
    const bridge = pushBridge<string>({ capacity: 4, policy: 'block' });
    const failure = new Error('producer died');
    await bridge.push('a');
    bridge.fail(failure);
    bridge.fail(new Error('ignored'));
    const iterator = bridge[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 'a' });
    await expect(iterator.next()).rejects.toBe(failure);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('refuses values after end()', async () => {
    const bridge = pushBridge<number>({ capacity: 4, policy: 'drop-oldest' });
    bridge.end();
    expect(bridge.tryPush(1)).toBe(false);
    const error = await bridge.push(1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TitansError);
    expect(error).toMatchObject({ code: 'ERR_STREAM_CLOSED', message: expect.stringMatching(/end\(\)/) });
  });

  it('when the consumer stops, the queue is dropped and waiting and later pushes reject', async () => {
    const bridge = pushBridge<number>({ capacity: 1, policy: 'block' });
    await bridge.push(1);
    const waiting = bridge.push(2);
    for await (const v of bridge) {
      expect(v).toBe(1);
      break;
    }
    // The consumer took 1, so 2 got in before the break; a new push must now fail.
    await waiting;
    expect(bridge.size).toBe(0);
    await expect(bridge.push(3)).rejects.toMatchObject({ code: 'ERR_STREAM_CLOSED', message: expect.stringMatching(/consumer stopped/) });
    expect(bridge.tryPush(3)).toBe(false);
  });

  it('a push waiting for room rejects when the consumer stops', async () => {
    const bridge = pushBridge<number>({ capacity: 1, policy: 'block' });
    await bridge.push(1);
    const waiting = bridge.push(2);
    expect(await hasSettled(waiting)).toBe(false);
    await bridge[Symbol.asyncIterator]().return?.();
    await expect(waiting).rejects.toMatchObject({ code: 'ERR_STREAM_CLOSED' });
    expect(bridge.size).toBe(0);
  });

  it('abort rejects the waiting consumer and producers with the reason', async () => {
    const controller = new AbortController();
    const bridge = pushBridge<number>({ capacity: 1, policy: 'block', signal: controller.signal });
    const iterator = bridge[Symbol.asyncIterator]();
    const pendingNext = iterator.next();
    await bridge.push(1); // handed to the waiting consumer
    expect(await pendingNext).toEqual({ done: false, value: 1 });
    await bridge.push(2);
    const waitingPush = bridge.push(3);
    const reason = new Error('shutting down');
    controller.abort(reason);
    await expect(waitingPush).rejects.toBe(reason);
    await expect(iterator.next()).rejects.toBe(reason);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    await expect(bridge.push(4)).rejects.toBe(reason);
  });

  it('abort while the consumer waits rejects its next() at once', async () => {
    const controller = new AbortController();
    const bridge = pushBridge<number>({ capacity: 1, policy: 'block', signal: controller.signal });
    const pending = bridge[Symbol.asyncIterator]().next();
    controller.abort('bye');
    await expect(within(pending)).rejects.toBe('bye');
  });

  it('has a single consumer', () => {
    const bridge = pushBridge<number>({ capacity: 1, policy: 'block' });
    bridge[Symbol.asyncIterator]();
    expect(() => bridge[Symbol.asyncIterator]()).toThrow(expect.objectContaining({ code: 'ERR_ALREADY_CONSUMED' }));
  });

  it('rejects bad options', () => {
    expect(() => pushBridge({ capacity: 0, policy: 'block' })).toThrow(ConfigError);
    expect(() => pushBridge({ capacity: 2, policy: 'newest' as BufferPolicy })).toThrow(/pushBridge\.policy/);
  });
});
