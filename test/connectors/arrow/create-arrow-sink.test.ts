import { statSync } from 'node:fs';
import { open, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { RecordBatchReader, tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createArrowSink,
  readArrowRecords,
  validArrowStreamPrefix,
  writeArrow,
} from '../../../connectors/arrow/index.js';
import type { ArrowColumnType, ArrowRow } from '../../../connectors/arrow/index.js';
import type { TitansError } from '../../../src/errors/index.js';
import { ConfigError, InputError } from '../../../src/errors/index.js';
import { collect, isOpen, messageRanges, summary, tempDir } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
const next = (ext: string) => tmp.file(`s${n++}.${ext}`);

beforeAll(async () => {
  tmp = await tempDir('titans-arrow-sink-');
});
afterAll(async () => {
  await tmp.remove();
});

const columns = {
  token: 'int32',
  offset: 'int64',
  surprise: 'float32',
  score: 'float64',
  text: 'utf8',
  tokens: 'int32-list',
  vector: { float32List: 3 },
} as const satisfies Record<string, ArrowColumnType>;

function row(i: number): ArrowRow {
  return {
    token: i * 3 - 5,
    offset: BigInt(i) * 10_000_000_000n,
    surprise: i / 4,
    score: i / 3,
    text: i % 5 === 0 ? null : `row ${i} ✓`,
    tokens: i % 7 === 0 ? null : Int32Array.from({ length: i % 4 }, (_, k) => i + k),
    vector: i % 6 === 0 ? null : Float32Array.of(i, -i, i / 2),
  };
}

/** Rows as apache-arrow's own reader returns them, normalised for comparison. */
async function readBack(file: string): Promise<unknown[]> {
  const table = tableFromIPC(await readFile(file));
  return table.toArray().map((r: Record<string, unknown>) => ({
    token: r['token'],
    offset: r['offset'],
    surprise: r['surprise'],
    score: r['score'],
    text: r['text'],
    tokens: r['tokens'] === null ? null : [...(r['tokens'] as Iterable<number>)],
    vector: r['vector'] === null ? null : [...(r['vector'] as Iterable<number>)],
  }));
}

function expected(rows: ArrowRow[]): unknown[] {
  return rows.map((r) => ({
    ...r,
    surprise: Math.fround(r['surprise'] as number),
    tokens: r['tokens'] === null ? null : [...(r['tokens'] as Int32Array)],
    vector: r['vector'] === null ? null : [...(r['vector'] as Float32Array)],
  }));
}

describe('createArrowSink', () => {
  for (const format of ['stream', 'file'] as const) {
    it(`${format}: every column type round-trips through apache-arrow's reader`, async () => {
      const file = next(format === 'stream' ? 'arrows' : 'arrow');
      const rows = Array.from({ length: 23 }, (_, i) => row(i));
      const sink = await createArrowSink(file, { columns, format, batchRows: 5 });
      for (const r of rows.slice(0, 10)) await sink.write(r);
      await sink.write(rows.slice(10));
      const stats = await sink.close();
      expect(stats).toEqual({ batches: 5, rows: 23, bytes: (await stat(file)).size });
      expect(await readBack(file)).toEqual(expected(rows));
      expect(await isOpen(file)).toBe(false);
    });

    it(`${format}: readArrowRecords reads the token and text columns back with positions`, async () => {
      const file = next(format === 'stream' ? 'arrows' : 'arrow');
      const rows = Array.from({ length: 12 }, (_, i) => row(i));
      await writeArrow(file, { columns, format, batchRows: 4 })(
        (async function* () {
          yield* rows;
        })(),
      );
      const texts = summary(await collect(readArrowRecords(file, { column: 'text' })));
      const wantTexts = rows.flatMap((r, i) => (r['text'] === null ? [] : [[`${Math.floor(i / 4)}:${i % 4}`, r['text']]]));
      expect(texts).toEqual(wantTexts);
      const tokens = summary(await collect(readArrowRecords(file, { column: 'tokens' })));
      const wantTokens = rows.flatMap((r, i) => (r['tokens'] === null ? [] : [[`${Math.floor(i / 4)}:${i % 4}`, [...(r['tokens'] as Int32Array)]]]));
      expect(tokens).toEqual(wantTokens);
    });
  }

  it('file format: the footer is readable by tableFromIPC and by a FileHandle reader, batch by batch', async () => {
    const file = next('arrow');
    const sink = await createArrowSink(file, { columns: { token: 'int32' }, format: 'file', batchRows: 3, metadata: { origin: 'test' } });
    await sink.write(Array.from({ length: 8 }, (_, i) => ({ token: i })));
    await sink.close();
    const table = tableFromIPC(await readFile(file));
    expect(table.batches.map((b) => b.numRows)).toEqual([3, 3, 2]);
    expect(table.schema.metadata.get('origin')).toBe('test');
    const handle = await open(file, 'r');
    const reader = await RecordBatchReader.from(handle);
    await reader.open();
    expect(reader.isFile()).toBe(true);
    expect(reader.numRecordBatches).toBe(3);
    const third = await reader.readRecordBatch(2);
    expect(third?.getChild('token')?.toArray()).toEqual(Int32Array.of(6, 7));
    await reader.cancel();
  });

  it('an empty output is a valid stream with the schema and no rows', async () => {
    const file = next('arrows');
    const stats = await (await createArrowSink(file, { columns: { text: 'utf8' } })).close();
    expect(stats.batches).toBe(0);
    expect(tableFromIPC(await readFile(file)).numRows).toBe(0);
    expect(await collect(readArrowRecords(file, { column: 'text' }))).toEqual([]);
  });

  it('a value that does not fit is ERR_ARROW_ROW naming row and column; the sink stays usable', async () => {
    const file = next('arrows');
    const sink = await createArrowSink(file, { columns: { a: 'int32', b: 'utf8' }, batchRows: 2 });
    await sink.write({ a: 1, b: 'x' });
    const bad = [{ a: 2, b: 'y' }, { a: 1.5, b: 'z' }, { a: 3, b: 'w' }];
    const error = await sink.write(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe('ERR_ARROW_ROW');
    expect((error as Error).message).toContain('row 2, column "a"');
    await expect(sink.write({ a: 4, b: 7 as unknown as string })).rejects.toThrow('row 2, column "b": expected a string');
    await sink.write({ a: 5, b: null });
    await sink.close();
    expect(tableFromIPC(await readFile(file)).toArray().map((r: Record<string, unknown>) => [r['a'], r['b']])).toEqual([
      [1, 'x'],
      [2, 'y'],
      [5, null],
    ]);
  });

  it('rejects bad options and writes after close', async () => {
    await expect(createArrowSink(next('arrows'), { columns: {} })).rejects.toThrow(ConfigError);
    await expect(createArrowSink(next('arrows'), { columns: { a: 'int32' }, batchRows: 0 })).rejects.toThrow(ConfigError);
    await expect(createArrowSink(next('arrows'), { columns: { a: 'date' as never } })).rejects.toThrow(ConfigError);
    await expect(createArrowSink(next('arrow'), { columns: { a: 'int32' }, format: 'file', mode: 'append' })).rejects.toThrow(ConfigError);
    const sink = await createArrowSink(next('arrows'), { columns: { a: 'int32' }, fsync: true });
    await sink.write({ a: 1 });
    await sink.close();
    const error = await sink.write({ a: 2 }).catch((e: unknown) => e);
    expect((error as TitansError).code).toBe('ERR_ARROW_SINK_CLOSED');
  });

  it('bounded queue: the source is never far ahead of the disk, and memory stays flat (200k rows)', async () => {
    const file = next('arrows');
    const batchRows = 1000;
    const queueCapacity = 2;
    const vector = new Float32Array(64).fill(0.5);
    const total = 200_000;
    const rowBytes = 4 + 64 * 4;
    let pulled = 0;
    let maxLagRows = 0;
    let peakArrayBuffers = 0;
    const baseline = process.memoryUsage().arrayBuffers;
    let schemaBytes = -1;
    let batchBytes = -1;
    async function* source() {
      for (; pulled < total; ) {
        if (pulled % batchRows === 0 && pulled > 0) {
          // Synchronous on purpose: the check must not give the disk time to catch up.
          const size = statSync(file).size;
          if (schemaBytes < 0 && size > 0) schemaBytes = size;
          if (batchBytes > 0) maxLagRows = Math.max(maxLagRows, pulled - Math.floor((size - schemaBytes) / batchBytes) * batchRows);
          peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers - baseline);
        }
        pulled += 1;
        yield { id: pulled, vector };
      }
    }
    // One batch's encoded size, measured on a separate file with the same columns.
    const probe = next('arrows');
    const probeSink = await createArrowSink(probe, { columns: { id: 'int32', vector: { float32List: 64 } }, batchRows });
    const before = (await probeSink.flush()).bytes;
    await probeSink.write(Array.from({ length: batchRows }, (_, i) => ({ id: i, vector })));
    batchBytes = (await probeSink.flush()).bytes - before;
    await probeSink.close();

    const stats = await writeArrow(file, { columns: { id: 'int32', vector: { float32List: 64 } }, batchRows, queueCapacity })(source());
    expect(stats.rows).toBe(total);
    expect(stats.batches).toBe(total / batchRows);
    // In flight at most: the batch being filled + queueCapacity queued + the one being written.
    expect(maxLagRows).toBeGreaterThan(0);
    expect(maxLagRows).toBeLessThanOrEqual((queueCapacity + 2) * batchRows);
    // 200k rows are ~52 MB of Arrow data; what is held at once is a few batches (≈0.26 MB each).
    expect(total * rowBytes).toBeGreaterThan(50e6);
    expect(peakArrayBuffers).toBeLessThan(25e6);
    const ids = await collect(readArrowRecords(file, { column: 'id' }));
    expect(ids.length).toBe(total);
    expect(ids.at(-1)?.tokens?.[0]).toBe(total);
  });

  it('abort: writes reject with the reason; abort() closes the file as it is', async () => {
    const file = next('arrows');
    const controller = new AbortController();
    const sink = await createArrowSink(file, { columns: { a: 'int32' }, batchRows: 2, signal: controller.signal });
    await sink.write([{ a: 1 }, { a: 2 }, { a: 3 }]);
    expect(await sink.flush()).toMatchObject({ batches: 2, rows: 3 });
    await sink.write({ a: 4 }); // not flushed: dropped by the abort
    const reason = new Error('enough');
    controller.abort(reason);
    await expect(sink.write({ a: 5 })).rejects.toBe(reason);
    await expect(sink.flush()).rejects.toBe(reason);
    await sink.abort(reason);
    await sink.abort(); // idempotent
    expect(await isOpen(file)).toBe(false);
    expect(await validArrowStreamPrefix(file)).toEqual({ batches: 2, rows: 3, bytes: (await stat(file)).size, complete: false });
  });

  it('abort: writeArrow stops an idle source at once', async () => {
    const file = next('arrows');
    const controller = new AbortController();
    let returned = false;
    const idle: AsyncIterable<ArrowRow> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<ArrowRow>>(() => undefined),
        return: async () => {
          returned = true;
          return { done: true, value: undefined };
        },
      }),
    };
    const run = writeArrow(file, { columns: { a: 'int32' }, signal: controller.signal })(idle);
    await new Promise((r) => setTimeout(r, 20));
    const reason = new Error('stopped');
    controller.abort(reason);
    await expect(run).rejects.toBe(reason);
    expect(returned).toBe(true);
    expect(await isOpen(file)).toBe(false);
    // Aborted: the schema is there, but no end-of-stream marker.
    expect(await validArrowStreamPrefix(file)).toMatchObject({ batches: 0, complete: false });
  });

  it('writeArrow: an error in the source aborts the sink and propagates', async () => {
    const file = next('arrows');
    const failure = new Error('source failed');
    async function* source() {
      yield { a: 1 };
      throw failure;
    }
    await expect(writeArrow(file, { columns: { a: 'int32' } })(source())).rejects.toBe(failure);
    expect(await isOpen(file)).toBe(false);
  });
});

describe('createArrowSink append (resume after a crash)', () => {
  const cols = { i: 'int32', s: 'utf8' } as const;
  const rowsFrom = (from: number, count: number) => Array.from({ length: count }, (_, k) => ({ i: from + k, s: `v${from + k}` }));

  async function values(file: string): Promise<number[]> {
    return tableFromIPC(await readFile(file))
      .toArray()
      .map((r: Record<string, unknown>) => r['i'] as number);
  }

  it('keeps the checkpointed batches, drops everything after, and continues', async () => {
    const file = next('arrows');
    const sink = await createArrowSink(file, { columns: cols, batchRows: 4, fsync: true });
    await sink.write(rowsFrom(0, 10));
    const checkpoint = await sink.flush(); // batches [0..3] [4..7] [8,9]
    expect(checkpoint).toMatchObject({ batches: 3, rows: 10 });
    await sink.write(rowsFrom(10, 9)); // two more full batches queued, one row pending
    await sink.flush();
    await sink.abort();
    // A crash mid-write: cut the last batch in half.
    const bytes = new Uint8Array(await readFile(file));
    const last = messageRanges(bytes).at(-1);
    await truncate(file, Math.floor(((last?.offset ?? 0) + (last?.end ?? 0)) / 2));

    const resumed = await createArrowSink(file, { columns: cols, batchRows: 4, mode: 'append', keepBatches: checkpoint.batches });
    await resumed.write(rowsFrom(10, 6));
    const stats = await resumed.close();
    expect(stats).toMatchObject({ batches: 5, rows: 16 });
    expect(await values(file)).toEqual(rowsFrom(0, 16).map((r) => r.i));
    expect(await validArrowStreamPrefix(file)).toMatchObject({ batches: 5, rows: 16, complete: true });
  });

  it('without keepBatches keeps every complete batch of a cut stream', async () => {
    const file = next('arrows');
    const sink = await createArrowSink(file, { columns: cols, batchRows: 3 });
    await sink.write(rowsFrom(0, 9));
    await sink.close();
    const size = (await stat(file)).size;
    await truncate(file, size - 20); // EOS gone, last batch cut
    const resumed = await createArrowSink(file, { columns: cols, batchRows: 3, mode: 'append' });
    await resumed.write(rowsFrom(100, 2));
    await resumed.close();
    expect(await values(file)).toEqual([0, 1, 2, 3, 4, 5, 100, 101]);
  });

  it('a missing file starts fresh; a different schema or too few batches is ERR_ARROW_APPEND', async () => {
    const file = next('arrows');
    const sink = await createArrowSink(file, { columns: cols, mode: 'append' });
    await sink.write(rowsFrom(0, 2));
    await sink.close();
    expect(await values(file)).toEqual([0, 1]);

    const otherSchema = await createArrowSink(file, { columns: { i: 'int64' }, mode: 'append' }).catch((e: unknown) => e);
    expect((otherSchema as InputError).code).toBe('ERR_ARROW_APPEND');
    const tooMany = await createArrowSink(file, { columns: cols, mode: 'append', keepBatches: 2 }).catch((e: unknown) => e);
    expect((tooMany as InputError).code).toBe('ERR_ARROW_APPEND');
    expect(await values(file)).toEqual([0, 1]);

    const missing = next('arrows');
    await expect(createArrowSink(missing, { columns: cols, mode: 'append', keepBatches: 1 })).rejects.toThrow(/only 0 are intact/);
    await writeFile(missing, 'garbage');
    const fresh = await createArrowSink(missing, { columns: cols, mode: 'append' });
    await fresh.write(rowsFrom(7, 1));
    await fresh.close();
    expect(await values(missing)).toEqual([7]);
  });
});
