import { describe, expect, it, vi } from 'vitest';
import { abortable } from '../../../src/stream/index.js';
import { settle, sleep } from './helpers.js';

describe('abortable', () => {
  it('resolves and rejects like the promise when not aborted', async () => {
    const signal = new AbortController().signal;
    expect(await abortable(Promise.resolve(3), signal)).toBe(3);
    expect(await abortable('plain', signal)).toBe('plain');
    const failure = new Error('inner');
    await expect(abortable(Promise.reject(failure), signal)).rejects.toBe(failure);
  });

  it('rejects with the reason as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const pending = abortable(new Promise(() => {}), controller.signal);
    controller.abort('why');
    await expect(pending).rejects.toBe('why');
  });

  it('rejects at once on an already aborted signal, even for a plain value', async () => {
    await expect(abortable(1, AbortSignal.abort('early'))).rejects.toBe('early');
  });

  it('swallows the abandoned promise’s later rejection (no unhandled rejection)', async () => {
    const controller = new AbortController();
    const late = sleep(2).then(() => {
      throw new Error('late failure nobody listens to');
    });
    const pending = abortable(late, controller.signal);
    controller.abort('gone');
    await expect(pending).rejects.toBe('gone');
    await sleep(5);
    await settle();
  });

  it('removes its abort listener once the promise settles', async () => {
    const controller = new AbortController();
    const added = vi.spyOn(controller.signal, 'addEventListener');
    const removed = vi.spyOn(controller.signal, 'removeEventListener');
    for (let i = 0; i < 5; i++) await abortable(Promise.resolve(i), controller.signal);
    await abortable(Promise.reject(new Error('x')), controller.signal).catch(() => {});
    expect(added).toHaveBeenCalledTimes(6);
    expect(removed.mock.calls.map((c) => c[1])).toEqual(added.mock.calls.map((c) => c[1]));
  });
});
