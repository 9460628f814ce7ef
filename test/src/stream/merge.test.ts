import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromIterable, merge, toArray } from '../../../src/stream/index.js';
import { checkOperatorContract } from './contract.js';
import { delayed, probe, range, settle, stop, within } from './helpers.js';

describe('merge', () => {
  describe('contract (one source)', () => {
    checkOperatorContract<number>({
      make: (options) => (source) => merge(source, options),
      model: (input) => [...input],
    });
  });

  it('emits values in arrival order', async () => {
    const out = await toArray(merge(delayed(['a1', 'a2'], [6, 12]), delayed(['b1'], [2])));
    expect(out).toEqual(['b1', 'a1', 'a2']);
  });

  it('keeps every value and each source’s own order (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(fc.integer({ min: 0, max: 2 }), { maxLength: 8 }), { maxLength: 5 }), async (delays) => {
        const sources = delays.map((ds, s) => delayed(ds.map((_, i) => `${s}:${i}`), ds));
        const out = await toArray(merge(...sources));
        expect(out).toHaveLength(delays.flat().length);
        delays.forEach((ds, s) => {
          expect(out.filter((v) => v.startsWith(`${s}:`))).toEqual(ds.map((_, i) => `${s}:${i}`));
        });
      }),
      { numRuns: 25 },
    );
  });

  it('ends at once with no sources', async () => {
    expect(await toArray(merge<number>())).toEqual([]);
  });

  it('opens every source at the first pull', async () => {
    const sources = [probe([1], 'hang'), probe([2], 'hang'), probe([3], 'hang')];
    const iterator = merge(...sources)[Symbol.asyncIterator]();
    await within(iterator.next());
    expect(sources.map((s) => s.stats.opened)).toEqual([1, 1, 1]);
    await iterator.return?.();
  });

  it('an error from one source is passed on unchanged and every other source is released', async () => {
    const failure = new Error('partition 2 broke');
    const quiet = [probe(range(2), 'hang'), probe([], 'hang')];
    const out: number[] = [];
    await expect(
      within(
        (async () => {
          for await (const v of merge(quiet[0] as AsyncIterable<number>, probe([9], { error: failure }), quiet[1] as AsyncIterable<number>)) out.push(v);
        })(),
      ),
    ).rejects.toBe(failure);
    expect(quiet.map((s) => s.stats.returnCalls)).toEqual([1, 1]);
  });

  it('return() releases all running sources at once, even silent ones', async () => {
    const sources = [probe([1], 'hang'), probe([], 'hang'), probe([2, 3], 'done')];
    const iterator = merge(...sources)[Symbol.asyncIterator]();
    const seen = [await within(iterator.next()), await within(iterator.next()), await within(iterator.next())].map((r) => r.value);
    expect([...seen].sort()).toEqual([1, 2, 3]);
    const pending = iterator.next();
    await settle();
    await stop(iterator);
    await expect(pending).resolves.toEqual({ done: true, value: undefined });
    expect(sources.map((s) => s.stats.returnCalls)).toEqual([1, 1, 0]); // the third had ended
  });

  it('takes a trailing options object with a signal', async () => {
    const controller = new AbortController();
    const sources = [probe<number>([], 'hang'), probe<number>([], 'hang')];
    const pending = toArray(merge(sources[0] as AsyncIterable<number>, sources[1] as AsyncIterable<number>, { signal: controller.signal }));
    await settle();
    controller.abort('shutdown');
    await expect(within(pending)).rejects.toBe('shutdown');
    expect(sources.map((s) => s.stats.returnCalls)).toEqual([1, 1]);
  });

  it('does not pull a source again before its last value was taken', async () => {
    const busy = probe(range(100));
    const iterator = merge(busy, fromIterable<number>([]))[Symbol.asyncIterator]();
    await within(iterator.next());
    await settle();
    expect(busy.stats.nextCalls).toBe(1);
    await iterator.return?.();
  });
});
