import fc from 'fast-check';
import { expect, it } from 'vitest';
import type { AsyncOperator, OperatorOptions } from '../../../src/stream/index.js';
import { toArray } from '../../../src/stream/index.js';
import { hangingGenerator, probe, range, settle, stop, within } from './helpers.js';

/** How to check one operator against the checklist every operator must pass (DESIGN §7). */
export interface ContractSpec<R> {
  /** Builds the operator under test with the given options. */
  make(options: OperatorOptions): AsyncOperator<number, R>;
  /** A naive reference implementation: the output expected for a finite input. */
  model(input: readonly number[]): R[];
  /** Builds the operator with a callback that throws `error` on the first value, when it has a callback. */
  throwing?(error: Error): AsyncOperator<number, R>;
}

/**
 * Registers the checklist tests: empty, one value, many values (property), upstream error,
 * callback error, early return and abort on a silent source.
 * The operator must emit something after at most 10 input values.
 */
export function checkOperatorContract<R>(spec: ContractSpec<R>): void {
  const op = (): AsyncOperator<number, R> => spec.make({});

  it('gives the model output for an empty source, and opens it once', async () => {
    const source = probe<number>([]);
    expect(await toArray(op()(source))).toEqual(spec.model([]));
    expect(source.stats.opened).toBeLessThanOrEqual(1);
  });

  it('gives the model output for one value', async () => {
    expect(await toArray(op()(probe([7])))).toEqual(spec.model([7]));
  });

  it('gives the model output for many values (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: -1000, max: 1000 }), { maxLength: 40 }), async (input) => {
        expect(await toArray(op()(probe(input)))).toEqual(spec.model(input));
      }),
      { numRuns: 60 },
    );
  });

  it('passes an upstream error through unchanged', async () => {
    const failure = new Error('upstream broke');
    await expect(toArray(op()(probe(range(3), { error: failure })))).rejects.toBe(failure);
  });

  if (spec.throwing !== undefined) {
    const throwing = spec.throwing;
    it('propagates an error thrown by its callback and releases the source', async () => {
      const failure = new Error('callback broke');
      const source = probe(range(10), 'hang');
      await expect(within(toArray(throwing(failure)(source)))).rejects.toBe(failure);
      expect(source.stats.returnCalls).toBe(1);
    });
  }

  it('return() while waiting on a silent source releases the source at once', async () => {
    const source = probe<number>([], 'hang');
    const iterator = op()(source)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await settle();
    expect(source.stats.nextCalls).toBeGreaterThanOrEqual(1);
    await stop(iterator);
    expect(source.stats.returnCalls).toBe(1);
    await expect(within(pending)).resolves.toEqual({ done: true, value: undefined });
  });

  it('break after the first output releases a source that then goes silent', async () => {
    const source = probe(range(10), 'hang');
    const seen: R[] = [];
    await within(
      (async () => {
        for await (const value of op()(source)) {
          seen.push(value);
          break;
        }
      })(),
    );
    expect(seen).toHaveLength(1);
    expect(source.stats.returnCalls).toBe(1);
  });

  it('break does not hang on an async generator stuck awaiting forever', async () => {
    const iterator = op()(hangingGenerator<number>([]))[Symbol.asyncIterator]();
    const pending = iterator.next();
    await settle();
    await stop(iterator);
    await expect(within(pending)).resolves.toEqual({ done: true, value: undefined });
  });

  it('abort while waiting on a silent source rejects with the reason and releases the source', async () => {
    const controller = new AbortController();
    const source = probe<number>([], 'hang');
    const iterator = spec.make({ signal: controller.signal })(source)[Symbol.asyncIterator]();
    const pending = iterator.next();
    await settle();
    const reason = new Error('stop now');
    controller.abort(reason);
    await expect(within(pending)).rejects.toBe(reason);
    expect(source.stats.returnCalls).toBe(1);
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('abort between two next() calls releases the source without waiting for the consumer', async () => {
    const controller = new AbortController();
    const source = probe(range(30), 'hang');
    const iterator = spec.make({ signal: controller.signal })(source)[Symbol.asyncIterator]();
    expect((await within(iterator.next())).done).toBe(false);
    const reason = new Error('stop between');
    controller.abort(reason);
    await settle();
    expect(source.stats.returnCalls).toBe(1);
    await expect(iterator.next()).rejects.toBe(reason);
    await expect(iterator.next()).resolves.toEqual({ done: true, value: undefined });
  });

  it('an already aborted signal stops it before the first value', async () => {
    const reason = new Error('aborted before start');
    const source = probe(range(3));
    await expect(toArray(spec.make({ signal: AbortSignal.abort(reason) })(source))).rejects.toBe(reason);
    expect(source.stats.opened).toBe(0);
  });
}
