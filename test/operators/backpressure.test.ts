import { describe, expect, it } from 'vitest';
import { createBackpressure } from '../../operators/index.js';
import { settle, within } from '../src/stream/helpers.js';

/** Whether `promise` has settled once pending callbacks ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await settle();
  return done;
}

describe('createBackpressure', () => {
  it('starts open: whenOpen() resolves at once', async () => {
    const gate = createBackpressure();
    expect(gate.open).toBe(true);
    expect(await settled(gate.whenOpen())).toBe(true);
  });

  it('close() holds waiters until the hold is withdrawn', async () => {
    const gate = createBackpressure();
    const reopen = gate.close();
    expect(gate.open).toBe(false);
    const waiting = gate.whenOpen();
    expect(await settled(waiting)).toBe(false);
    reopen();
    expect(gate.open).toBe(true);
    await within(waiting);
  });

  it('stays closed while any of several holders keeps it closed; a second withdrawal does nothing', async () => {
    const gate = createBackpressure();
    const first = gate.close();
    const second = gate.close();
    first();
    first();
    expect(gate.open).toBe(false);
    const waiting = gate.whenOpen();
    expect(await settled(waiting)).toBe(false);
    second();
    expect(gate.open).toBe(true);
    await within(waiting);
  });

  it('can be closed again after reopening', async () => {
    const gate = createBackpressure();
    gate.close()();
    const reopen = gate.close();
    const waiting = gate.whenOpen();
    expect(await settled(waiting)).toBe(false);
    reopen();
    await within(waiting);
  });

  it('whenOpen(signal) rejects with the reason when the signal aborts, or is already aborted', async () => {
    const gate = createBackpressure();
    gate.close();
    const controller = new AbortController();
    const waiting = gate.whenOpen(controller.signal);
    const reason = new Error('stop waiting');
    controller.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(createBackpressure().whenOpen(AbortSignal.abort(reason))).rejects.toBe(reason);
  });
});
