import { describe, expect, it } from 'vitest';
import { toArray } from '../../../src/stream/index.js';
import { hangingGenerator, probe, range, settle, within } from './helpers.js';

describe('toArray', () => {
  it('collects sync and async iterables', async () => {
    expect(await toArray([1, 2, 3])).toEqual([1, 2, 3]);
    expect(await toArray(probe(range(4)))).toEqual(range(4));
    expect(await toArray(probe([]))).toEqual([]);
  });

  it('passes errors through unchanged', async () => {
    const failure = new Error('nope');
    await expect(toArray(probe([1], { error: failure }))).rejects.toBe(failure);
  });

  it('abort stops collecting from a silent source at once and releases it', async () => {
    const controller = new AbortController();
    const source = probe(range(2), 'hang');
    const pending = toArray(source, { signal: controller.signal });
    await settle();
    controller.abort(new Error('enough'));
    await expect(within(pending)).rejects.toThrow('enough');
    expect(source.stats.returnCalls).toBe(1);
  });

  it('abort does not wait for an async generator stuck forever', async () => {
    const controller = new AbortController();
    const pending = toArray(hangingGenerator([1]), { signal: controller.signal });
    await settle();
    controller.abort('stop');
    await expect(within(pending)).rejects.toBe('stop');
  });
});
