import fc from 'fast-check';
import { concat, EMPTY, from, of, Subject, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { BufferOverflowError, ConfigError, InputError } from '../../src/errors/index.js';
import { tokenize as tokenizeAsync } from '../../src/pipeline/index.js';
import type { SourceRecord } from '../../src/records/index.js';
import { fromIterable, toArray } from '../../src/stream/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer, type Tokenizer } from '../../src/tokenize/index.js';
import { createBackpressure, fromAsyncIterable, tokenize } from '../../operators/index.js';
import { probe, settle } from '../src/stream/helpers.js';
import { collect } from './helpers.js';

const tokenizer = new ByteTokenizer();
const at = (index: number, value: string, stream = 's'): SourceRecord => ({ value, position: { kind: 'stream', stream, index } });
/** A tokenizer that fails on the record whose text is `bad`. */
const picky: Tokenizer = {
  name: 'picky',
  vocabSize: tokenizer.vocabSize,
  specials: tokenizer.specials,
  createDecoder: () => tokenizer.createDecoder(),
  encode: (value) => {
    if (value === 'bad') throw new Error('cannot encode bad');
    return tokenizer.encode(value);
  },
};

describe('tokenize (RxJS)', () => {
  it('completes without runs for no records', async () => {
    expect(await collect(EMPTY.pipe(tokenize(tokenizer)))).toEqual({ values: [], completed: true });
  });

  it('turns one record into one run keyed by its stream', async () => {
    const { values, completed } = await collect(of(at(0, 'hi')).pipe(tokenize(tokenizer, { separator: BYTE_RECORD_SEPARATOR })));
    expect(completed).toBe(true);
    expect(values.map((r) => [r.key, [...r.tokens]])).toEqual([['s', [104, 105, BYTE_RECORD_SEPARATOR]]]);
  });

  it('gives the same runs, in the same order, as the async tokenize (property)', async () => {
    const records = fc.array(
      fc.tuple(fc.string({ maxLength: 12 }), fc.constantFrom('a', 'b')).map(([text, stream]) => ({ text, stream })),
      { maxLength: 40 },
    );
    await fc.assert(
      fc.asyncProperty(records, async (input) => {
        const recs = input.map(({ text, stream }, i) => at(i, text, stream));
        const expected = await toArray(tokenizeAsync(tokenizer, { separator: 0 })(fromIterable(recs)));
        const { values, completed } = await collect(from(recs).pipe(tokenize(tokenizer, { separator: 0 })));
        expect(completed).toBe(true);
        expect(values).toEqual(expected);
      }),
      { numRuns: 40 },
    );
  });

  it('passes an upstream error to the subscriber after the runs before it', async () => {
    const failure = new Error('upstream broke');
    const seen = await collect(concat(of(at(0, 'a')), throwError(() => failure)).pipe(tokenize(tokenizer)));
    expect(seen.values).toHaveLength(1);
    expect(seen.error).toBe(failure);
  });

  it('reports a tokenizer failure as an InputError with the record position, and releases the source', async () => {
    const source = probe([at(0, 'ok'), at(7, 'bad'), at(8, 'never')], 'hang');
    const seen = await collect(fromAsyncIterable(source).pipe(tokenize(picky)));
    expect(seen.values).toHaveLength(1);
    expect(seen.error).toBeInstanceOf(InputError);
    expect(String(seen.error)).toMatch(/s#7/);
    expect(source.stats.returnCalls).toBe(1);
  });

  it('delivers an error thrown by the key function', async () => {
    const failure = new Error('no key');
    const seen = await collect(
      of(at(0, 'a')).pipe(
        tokenize(tokenizer, {
          key: () => {
            throw failure;
          },
        }),
      ),
    );
    expect(seen.error).toBe(failure);
  });

  it('unsubscribing while the source never yields again returns it at once', async () => {
    const source = probe([at(0, 'a')], 'hang');
    const values: unknown[] = [];
    const subscription = fromAsyncIterable(source).pipe(tokenize(tokenizer)).subscribe((v) => values.push(v));
    await settle();
    expect(values).toHaveLength(1);
    subscription.unsubscribe();
    expect(source.stats.returnCalls).toBe(1);
    expect(source.stats.nextCalls).toBe(2);
  });

  it('names its buffer in overflow errors and checks buffer options', async () => {
    const subject = new Subject<SourceRecord>();
    const seen = collect(subject.pipe(tokenize(tokenizer, { capacity: 2 })));
    for (let i = 0; i < 5; i++) subject.next(at(i, 'x'));
    expect((await seen).error).toMatchObject({ constructor: BufferOverflowError, buffer: 'tokenize', capacity: 2 });
    expect(() => tokenize(tokenizer, { policy: 'block' })).toThrow(ConfigError);
    expect(() => tokenize(tokenizer, { policy: 'block', backpressure: createBackpressure() })).not.toThrow();
  });
});
