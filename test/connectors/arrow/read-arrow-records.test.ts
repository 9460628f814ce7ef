import { readFile, truncate, writeFile } from 'node:fs/promises';
import {
  Field,
  FixedSizeList,
  Int16,
  Int32,
  Int64,
  Int8,
  LargeList,
  LargeUtf8,
  List,
  Uint32,
  Uint8,
  makeData,
  tableFromArrays,
} from 'apache-arrow';
import type { DataType, RecordBatch } from 'apache-arrow';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArrowColumnError, ArrowCorruptError, createArrowSink, readArrowRecords } from '../../../connectors/arrow/index.js';
import { ConfigError, InputError } from '../../../src/errors/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { batchOf, collect, column, int32Lists, isOpen, messageRanges, summary, tempDir, texts, writeArrowFixture } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
const next = (ext: string) => tmp.file(`f${n++}.${ext}`);

beforeAll(async () => {
  tmp = await tempDir('titans-arrow-read-');
});
afterAll(async () => {
  await tmp.remove();
});

const formats = ['stream', 'file'] as const;
const extension = (format: 'stream' | 'file') => (format === 'stream' ? 'arrows' : 'arrow');

/** Three batches of 3, 1 and 2 rows with one column of each supported shape. */
function mixedBatches(): RecordBatch[] {
  const rows: [number, number[] | null, string | null, bigint][][] = [
    [
      [1, [1, 2], 'alpha', 10n],
      [2, null, null, 11n],
      [3, [], 'γάμμα', 12n],
    ],
    [[4, [7, 8, 9], '', 13n]],
    [
      [5, [-1], 'delta', 14n],
      [6, [2 ** 31 - 1], 'ε', 15n],
    ],
  ];
  return rows.map((batch) =>
    batchOf({
      int: column(
        batch.map((r) => r[0]),
        new Int32(),
      ),
      list: int32Lists(batch.map((r) => r[1])),
      text: texts(batch.map((r) => r[2])),
      big: column(
        batch.map((r) => r[3]),
        new Int64(),
      ),
    }),
  );
}

describe('readArrowRecords', () => {
  for (const format of formats) {
    describe(`${format} format`, () => {
      it('reads an integer column as one token per row, with exact positions', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        const records = await collect(readArrowRecords(file, { column: 'int' }));
        expect(summary(records)).toEqual([
          ['0:0', [1]],
          ['0:1', [2]],
          ['0:2', [3]],
          ['1:0', [4]],
          ['2:0', [5]],
          ['2:1', [6]],
        ]);
        expect(records[3]?.position).toEqual({ kind: 'arrow', file, batch: 1, row: 0 });
        expect(records.every((r) => r.tokens instanceof Int32Array && r.value instanceof Uint8Array)).toBe(true);
      });

      it('reads a List<Int32> column as token sequences and skips null rows, counting them', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        const records = readArrowRecords(file, { column: 'list' });
        expect(summary(await collect(records))).toEqual([
          ['0:0', [1, 2]],
          ['0:2', []],
          ['1:0', [7, 8, 9]],
          ['2:0', [-1]],
          ['2:1', [2 ** 31 - 1]],
        ]);
        expect(records.stats).toEqual({ batches: 3, rows: 6, records: 5, nullsSkipped: 1 });
      });

      it('reads a Utf8 column as text', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        expect(summary(await collect(readArrowRecords(file, { column: 'text' })))).toEqual([
          ['0:0', 'alpha'],
          ['0:2', 'γάμμα'],
          ['1:0', ''],
          ['2:0', 'delta'],
          ['2:1', 'ε'],
        ]);
      });

      it('reads an Int64 column as tokens', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        const tokens = (await collect(readArrowRecords(file, { column: 'big' }))).map((r) => r.tokens?.[0]);
        expect(tokens).toEqual([10, 11, 12, 13, 14, 15]);
      });

      it('with nulls: "error", throws ERR_ARROW_NULL at the null row', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        const seen: SourceRecord[] = [];
        const error = await (async () => {
          for await (const record of readArrowRecords(file, { column: 'text', nulls: 'error' })) seen.push(record);
        })().catch((e: unknown) => e);
        expect(seen).toHaveLength(1);
        expect(error).toBeInstanceOf(InputError);
        expect((error as InputError).code).toBe('ERR_ARROW_NULL');
        expect((error as InputError).position).toEqual({ kind: 'arrow', file, batch: 0, row: 1 });
      });

      it('a missing column is an ArrowColumnError listing the columns and their types', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        const error = await collect(readArrowRecords(file, { column: 'tokens' })).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ArrowColumnError);
        const e = error as ArrowColumnError;
        expect(e.code).toBe('ERR_ARROW_COLUMN');
        expect(e.columns).toEqual([
          { name: 'int', type: 'Int32' },
          { name: 'list', type: 'List<Int32>' },
          { name: 'text', type: 'Utf8' },
          { name: 'big', type: 'Int64' },
        ]);
        expect(e.message).toContain('"tokens" not found');
        expect(e.message).toContain('list (List<Int32>)');
        expect(e.message).toContain(file);
      });

      it('a column of the wrong kind is an ArrowColumnError', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        const asTokens = await collect(readArrowRecords(file, { column: 'text', kind: 'tokens' })).catch((e: unknown) => e);
        expect(asTokens).toBeInstanceOf(ArrowColumnError);
        expect((asTokens as Error).message).toContain('has type Utf8');
        const asText = await collect(readArrowRecords(file, { column: 'list', kind: 'text' })).catch((e: unknown) => e);
        expect(asText).toBeInstanceOf(ArrowColumnError);
        // Right kind: fine.
        expect(await collect(readArrowRecords(file, { column: 'list', kind: 'tokens' }))).toHaveLength(5);
      });

      it('startAt resumes exactly at a (batch, row)', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        const all = summary(await collect(readArrowRecords(file, { column: 'int' })));
        expect(summary(await collect(readArrowRecords(file, { column: 'int', startAt: { batch: 0, row: 2 } })))).toEqual(all.slice(2));
        expect(summary(await collect(readArrowRecords(file, { column: 'int', startAt: { batch: 2, row: 1 } })))).toEqual(all.slice(5));
        // row == the batch's row count: continue with the next batch; the end itself is valid.
        expect(summary(await collect(readArrowRecords(file, { column: 'int', startAt: { batch: 1, row: 1 } })))).toEqual(all.slice(4));
        expect(await collect(readArrowRecords(file, { column: 'int', startAt: { batch: 3, row: 0 } }))).toEqual([]);
      });

      it('startAt past the end is ERR_ARROW_START', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        for (const startAt of [
          { batch: 3, row: 1 },
          { batch: 9, row: 0 },
          { batch: 1, row: 2 },
        ]) {
          const error = await collect(readArrowRecords(file, { column: 'int', startAt })).catch((e: unknown) => e);
          expect((error as InputError).code).toBe('ERR_ARROW_START');
        }
      });

      it('closes the file on early return and on abort', async () => {
        const file = next(extension(format));
        await writeArrowFixture(file, mixedBatches(), format);
        for await (const record of readArrowRecords(file, { column: 'int' })) {
          expect(record).toBeDefined();
          expect(await isOpen(file)).toBe(true);
          break;
        }
        expect(await isOpen(file)).toBe(false);

        const controller = new AbortController();
        const reason = new Error('stop');
        const got: SourceRecord[] = [];
        const error = await (async () => {
          for await (const record of readArrowRecords(file, { column: 'int', signal: controller.signal })) {
            got.push(record);
            if (got.length === 2) controller.abort(reason);
          }
        })().catch((e: unknown) => e);
        expect(error).toBe(reason);
        expect(got).toHaveLength(2);
        expect(await isOpen(file)).toBe(false);
      });
    });
  }

  it('reads other integer types, LargeList, FixedSizeList, LargeUtf8 and dictionary text', async () => {
    const file = next('arrows');
    const batch = batchOf({
      i8: column([-3, 4], new Int8()),
      u32: column([7, 4_000_000], new Uint32()),
      l16: column([[1, -2], [3]], new List(new Field('item', new Int16(), true))),
      u8s: column([[250], [0, 1]], new LargeList(new Field('item', new Uint8(), true))),
      fixed: makeData({
        type: new FixedSizeList(3, new Field('item', new Int32(), false)),
        length: 2,
        nullCount: 0,
        child: makeData({ type: new Int32(), length: 6, nullCount: 0, data: Int32Array.from([1, 2, 3, 4, 5, 6]) }),
      }),
      large: column(['ab', 'ü'], new LargeUtf8()),
    });
    await writeArrowFixture(file, [batch], 'stream');
    const read = async (column: string) => summary(await collect(readArrowRecords(file, { column })));
    expect(await read('i8')).toEqual([
      ['0:0', [-3]],
      ['0:1', [4]],
    ]);
    expect(await read('u32')).toEqual([
      ['0:0', [7]],
      ['0:1', [4_000_000]],
    ]);
    expect(await read('l16')).toEqual([
      ['0:0', [1, -2]],
      ['0:1', [3]],
    ]);
    expect(await read('u8s')).toEqual([
      ['0:0', [250]],
      ['0:1', [0, 1]],
    ]);
    expect(await read('fixed')).toEqual([
      ['0:0', [1, 2, 3]],
      ['0:1', [4, 5, 6]],
    ]);
    expect(await read('large')).toEqual([
      ['0:0', 'ab'],
      ['0:1', 'ü'],
    ]);

    // tableFromArrays dictionary-encodes strings; replacement dictionaries across batches.
    const dictionaryFile = next('arrows');
    const table = tableFromArrays({ s: ['x', 'yy', 'x'] }).concat(tableFromArrays({ s: ['q', 'x'] }));
    expect(String(table.schema.fields[0]?.type)).toBe('Dictionary<Int32, Utf8>');
    await writeArrowFixture(dictionaryFile, table.batches, 'stream');
    expect(summary(await collect(readArrowRecords(dictionaryFile, { column: 's' })))).toEqual([
      ['0:0', 'x'],
      ['0:1', 'yy'],
      ['0:2', 'x'],
      ['1:0', 'q'],
      ['1:1', 'x'],
    ]);
  });

  it('a token outside Int32 is ERR_ARROW_VALUE at its position', async () => {
    const file = next('arrows');
    await writeArrowFixture(file, [batchOf({ u: column([1, 2 ** 31], new Uint32()) })], 'stream');
    const error = await collect(readArrowRecords(file, { column: 'u' })).catch((e: unknown) => e);
    expect((error as InputError).code).toBe('ERR_ARROW_VALUE');
    expect((error as InputError).position).toEqual({ kind: 'arrow', file, batch: 0, row: 1 });
  });

  it('rejects bad options with ConfigError', () => {
    expect(() => readArrowRecords('x', { column: '' })).toThrow(ConfigError);
    expect(() => readArrowRecords('x', { column: 'a', startAt: { batch: -1, row: 0 } })).toThrow(ConfigError);
    expect(() => readArrowRecords('x', { column: 'a', startAt: { batch: 0, row: 0.5 } })).toThrow(ConfigError);
    expect(() => readArrowRecords('x', { column: 'a', kind: 'bytes' as never })).toThrow(ConfigError);
    expect(() => readArrowRecords('x', { column: 'a', nulls: 'drop' as never })).toThrow(ConfigError);
  });

  it('an empty or non-Arrow file is ERR_ARROW_CORRUPT', async () => {
    const empty = next('arrows');
    await writeFile(empty, '');
    const text = next('arrows');
    await writeFile(text, 'hello world, this is not arrow\n');
    for (const file of [empty, text]) {
      const error = await collect(readArrowRecords(file, { column: 'a' })).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArrowCorruptError);
      expect((error as ArrowCorruptError).batch).toBe(0);
    }
  });
});

describe('readArrowRecords on damaged input', () => {
  const batches = () => [0, 1, 2].map((b) => batchOf({ t: texts([`b${b}r0`, `b${b}r1`, `b${b}r2`]) }));

  async function readUntilError(file: string, options: { allowMissingEos?: boolean } = {}) {
    const records: SourceRecord[] = [];
    try {
      for await (const record of readArrowRecords(file, { column: 't', ...options })) records.push(record);
      return { records, error: undefined };
    } catch (error) {
      return { records, error };
    }
  }

  it('a stream cut anywhere yields the complete batches before the cut, then names the next batch', async () => {
    const full = next('arrows');
    const bytes = await writeArrowFixture(full, batches(), 'stream');
    const ranges = messageRanges(bytes).filter((m) => m.type === 'batch');
    const schemaEnd = ranges[0]?.offset ?? 0;
    const cut = next('arrows');
    for (let length = schemaEnd; length < bytes.byteLength; length += 5) {
      await writeFile(cut, bytes.subarray(0, length));
      const complete = ranges.filter((r) => r.end <= length).length;
      const { records, error } = await readUntilError(cut);
      expect(records).toHaveLength(complete * 3);
      expect(error, `cut at ${length}`).toBeInstanceOf(ArrowCorruptError);
      expect((error as ArrowCorruptError).batch).toBe(complete);
      expect((error as ArrowCorruptError).file).toBe(cut);
      expect((error as ArrowCorruptError).message).toContain(`record batch ${complete}`);
    }
  });

  it('a stream cut exactly between batches is truncation, unless allowMissingEos', async () => {
    const file = next('arrows');
    const bytes = await writeArrowFixture(file, batches(), 'stream');
    const second = messageRanges(bytes).filter((m) => m.type === 'batch')[1];
    await truncate(file, second?.end ?? 0);
    const strict = await readUntilError(file);
    expect(strict.records).toHaveLength(6);
    expect((strict.error as ArrowCorruptError).message).toContain('end-of-stream marker');
    const lenient = await readUntilError(file, { allowMissingEos: true });
    expect(lenient).toEqual({ records: strict.records, error: undefined });
  });

  it('a file written by this package and cut anywhere yields its complete batches, then the error', async () => {
    const full = next('arrow');
    const sink = await createArrowSink(full, { columns: { t: 'utf8' }, format: 'file', batchRows: 3 });
    for (const b of [0, 1, 2]) await sink.write([0, 1, 2].map((r) => ({ t: `b${b}r${r}` })));
    await sink.close();
    const bytes = new Uint8Array(await readFile(full));
    expect(summary(await collect(readArrowRecords(full, { column: 't' })))).toHaveLength(9);
    const ranges = messageRanges(bytes, 8).filter((m) => m.type === 'batch');
    const cut = next('arrow');
    for (let length = 8; length < bytes.byteLength; length += 7) {
      await writeFile(cut, bytes.subarray(0, length));
      const complete = ranges.filter((r) => r.end <= length).length;
      const { records, error } = await readUntilError(cut);
      expect(records, `cut at ${length}`).toHaveLength(complete * 3);
      expect(error).toBeInstanceOf(ArrowCorruptError);
      expect((error as ArrowCorruptError).batch).toBe(complete);
    }
  });

  it('a truncated file without a schema message (apache-arrow JS writer) fails at batch 0, saying why', async () => {
    const file = next('arrow');
    const bytes = await writeArrowFixture(file, batches(), 'file');
    await writeFile(file, bytes.subarray(0, bytes.byteLength - 20));
    const { records, error } = await readUntilError(file);
    expect(records).toEqual([]);
    expect((error as ArrowCorruptError).batch).toBe(0);
    expect((error as Error).message).toContain('no schema message');
  });

  for (const format of formats) {
    it(`${format}: text offsets corrupted in batch 1 → batch 0, then ERR_ARROW_CORRUPT for batch 1`, async () => {
      const file = next(extension(format));
      const bytes = await writeArrowFixture(file, batches(), format);
      const second = messageRanges(bytes, format === 'file' ? 8 : 0).filter((m) => m.type === 'batch')[1];
      if (!second) throw new Error('no second batch');
      // Body of a Utf8 column without nulls: the offsets come first (no validity buffer).
      const damaged = bytes.slice();
      new DataView(damaged.buffer).setInt32(second.bodyOffset + 4, 1_000_000, true);
      await writeFile(file, damaged);
      const { records, error } = await readUntilError(file);
      expect(summary(records).map(([, v]) => v)).toEqual(['b0r0', 'b0r1', 'b0r2']);
      expect(error).toBeInstanceOf(ArrowCorruptError);
      expect((error as ArrowCorruptError).batch).toBe(1);
      expect((error as ArrowCorruptError).byteOffset).toBe(second.offset);
      expect((error as Error).message).toMatch(/offset .* out of range/);
    });

    it(`${format}: a corrupted message header in batch 2 → batches 0 and 1, then the error`, async () => {
      const file = next(extension(format));
      const bytes = await writeArrowFixture(file, batches(), format);
      const third = messageRanges(bytes, format === 'file' ? 8 : 0).filter((m) => m.type === 'batch')[2];
      if (!third) throw new Error('no third batch');
      const damaged = bytes.slice();
      new DataView(damaged.buffer).setInt32(third.offset + 4, 0x7fff_fff0, true);
      await writeFile(file, damaged);
      const { records, error } = await readUntilError(file);
      expect(records).toHaveLength(6);
      expect((error as ArrowCorruptError).batch).toBe(2);
    });

    it(`${format}: startAt skips earlier batches without reading their bodies`, async () => {
      const file = next(extension(format));
      const bytes = await writeArrowFixture(file, batches(), format);
      const first = messageRanges(bytes, format === 'file' ? 8 : 0).filter((m) => m.type === 'batch')[0];
      if (!first) throw new Error('no batch');
      const damaged = bytes.slice();
      damaged.fill(0xee, first.bodyOffset, first.end); // garbage body in batch 0
      await writeFile(file, damaged);
      expect((await readUntilError(file)).error).toBeInstanceOf(ArrowCorruptError);
      const resumed = await collect(readArrowRecords(file, { column: 't', startAt: { batch: 1, row: 1 } }));
      expect(summary(resumed)).toEqual([
        ['1:1', 'b1r1'],
        ['1:2', 'b1r2'],
        ['2:0', 'b2r0'],
        ['2:1', 'b2r1'],
        ['2:2', 'b2r2'],
      ]);
    });
  }
});

describe('readArrowRecords property', () => {
  it('records split into batches of any sizes come back identical, with consistent positions', async () => {
    const tokenRows = fc.array(fc.option(fc.array(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), { maxLength: 5 }), { nil: null }), {
      minLength: 1,
      maxLength: 40,
    });
    const textRows = fc.array(fc.option(fc.string({ unit: 'grapheme', maxLength: 8 }), { nil: null }), { minLength: 1, maxLength: 40 });
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          tokenRows.map((rows) => ({ kind: 'tokens' as const, rows })),
          textRows.map((rows) => ({ kind: 'text' as const, rows })),
        ),
        fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }),
        fc.constantFrom(...formats),
        async ({ kind, rows }, sizes, format) => {
          // Split the rows into batches with the sizes given (cycled).
          const splits: (typeof rows)[] = [];
          for (let at = 0, i = 0; at < rows.length; i++) {
            const size = sizes[i % sizes.length] ?? 1;
            splits.push(rows.slice(at, at + size));
            at += size;
          }
          const type: DataType = kind === 'tokens' ? new List(new Field('item', new Int32(), true)) : texts([]).type;
          const file = next(extension(format));
          await writeArrowFixture(
            file,
            splits.map((part) => batchOf({ c: column(part, type) })),
            format,
          );
          const records = await collect(readArrowRecords(file, { column: 'c' }));
          const expected: { value: number[] | string; batch: number; row: number }[] = [];
          splits.forEach((part, batch) =>
            part.forEach((value, row) => {
              if (value !== null) expected.push({ value, batch, row });
            }),
          );
          expect(
            records.map((r) => ({
              value: kind === 'tokens' ? [...(r.tokens ?? [])] : r.value,
              batch: r.position.kind === 'arrow' ? r.position.batch : -1,
              row: r.position.kind === 'arrow' ? r.position.row : -1,
            })),
          ).toEqual(expected);
        },
      ),
      { numRuns: 60 },
    );
  });
});
