import { describe, expect, it } from 'vitest';
import { InputError } from '../../../src/errors/index.js';
import { tokenize } from '../../../src/pipeline/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { fromIterable, toArray } from '../../../src/stream/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer, type Tokenizer } from '../../../src/tokenize/index.js';

const at = (index: number, value: string, extra: Partial<SourceRecord> = {}): SourceRecord => ({ value, position: { kind: 'stream', stream: 's', index }, ...extra });

describe('tokenize', () => {
  const tokenizer = new ByteTokenizer();

  it('emits nothing for an empty source', async () => {
    expect(await toArray(tokenize(tokenizer)(fromIterable([])))).toEqual([]);
  });

  it('encodes each record, appends the separator and keys by stream', async () => {
    const runs = await toArray(tokenize(tokenizer, { separator: BYTE_RECORD_SEPARATOR })(fromIterable([at(0, 'hé'), at(1, 'x')])));
    expect(runs.map((r) => [r.key, [...r.tokens]])).toEqual([
      ['s', [104, 0xc3, 0xa9, BYTE_RECORD_SEPARATOR]],
      ['s', [120, BYTE_RECORD_SEPARATOR]],
    ]);
    expect(runs[1]?.record.position).toEqual({ kind: 'stream', stream: 's', index: 1 });
  });

  it('uses pre-tokenized records as they are, and a custom key function', async () => {
    const runs = await toArray(tokenize(tokenizer, { key: (r) => r.key ?? '?' })(fromIterable([at(0, 'ignored', { tokens: Int32Array.of(7, 8), key: 'k' })])));
    expect(runs.map((r) => [r.key, [...r.tokens]])).toEqual([['k', [7, 8]]]);
  });

  it('skips empty records unless asked to keep them', async () => {
    expect(await toArray(tokenize(tokenizer)(fromIterable([at(0, '')])))).toEqual([]);
    expect(await toArray(tokenize(tokenizer, { keepEmpty: true })(fromIterable([at(0, '')])))).toHaveLength(1);
  });

  it('reports a tokenizer failure as an InputError with the record position', async () => {
    const broken: Tokenizer = { ...tokenizer, name: 'broken', vocabSize: 1, specials: {}, createDecoder: () => tokenizer.createDecoder(), encode: () => { throw new Error('nope'); } };
    const attempt = toArray(tokenize(broken)(fromIterable([at(3, 'x')])));
    await expect(attempt).rejects.toBeInstanceOf(InputError);
    await expect(toArray(tokenize(broken)(fromIterable([at(3, 'x')])))).rejects.toThrow(/s#3/);
  });

  it('passes an upstream error through', async () => {
    async function* failing(): AsyncGenerator<SourceRecord> {
      yield at(0, 'a');
      throw new Error('boom');
    }
    await expect(toArray(tokenize(tokenizer)(failing()))).rejects.toThrow('boom');
  });
});
