import { open } from 'node:fs/promises';
import { ConfigError, InputError } from '../../src/errors/index.js';
import type { ArrowPosition, SourceRecord } from '../../src/records/index.js';
import { planColumn } from './column-plan.js';
import type { ArrowRecordKind } from './column-plan.js';
import { decodeRecordBatch } from './decode-record-batch.js';
import { describeError } from './describe-error.js';
import { ArrowCorruptError } from './errors.js';
import { readAt } from './ipc-message.js';
import { openArrowInput } from './open-arrow-input.js';

/** Options of {@link readArrowRecords}. */
export interface ReadArrowOptions {
  /** The column to read. */
  readonly column: string;
  /** `tokens`, `text`, or `auto` (default): decided by the column's type. */
  readonly kind?: ArrowRecordKind;
  /** Null rows: `skip` them (default; counted in `stats.nullsSkipped`) or throw `ERR_ARROW_NULL`. */
  readonly nulls?: 'skip' | 'error';
  /** First row to read, e.g. the position after the last one a snapshot covers. `row` may equal the batch's row count. */
  readonly startAt?: { readonly batch: number; readonly row: number };
  /** Accept a stream that ends without its end-of-stream marker (default `false`: that is reported as truncation). */
  readonly allowMissingEos?: boolean;
  /** Stops the reading; the iterator then throws the signal's reason. */
  readonly signal?: AbortSignal;
}

/** Counters of one read, updated as records are yielded. */
export interface ArrowReadStats {
  /** Record batches decoded. */
  batches: number;
  /** Rows visited (records yielded plus null rows skipped). */
  rows: number;
  /** Records yielded. */
  records: number;
  /** Null rows skipped (a null value, or a list containing a null). */
  nullsSkipped: number;
}

/** The records of an Arrow input, with live counters. Iterate once. */
export type ArrowRecords = AsyncGenerator<SourceRecord, void, undefined> & { readonly stats: Readonly<ArrowReadStats> };

const EMPTY = new Uint8Array(0);

/**
 * Reads the records of one column of an Arrow IPC stream (`.arrows`) or file (`.arrow`), one
 * record batch at a time through a `FileHandle` (memory stays proportional to one batch, never
 * to the file). The format is detected from the magic bytes.
 *
 * Each record carries its position `{ kind: 'arrow', file: path, batch, row }`. A token column
 * (integers: one token per row; `List`/`LargeList`/`FixedSizeList` of integers: one sequence
 * per row) gives `tokens` (an `Int32Array` copy, `value` empty); a text column (`Utf8`,
 * `LargeUtf8`, or a dictionary of those) gives `value: string`.
 *
 * Damage (a truncated file, a cut or corrupted message, offsets out of range, a missing file
 * footer, a stream without its end-of-stream marker) is reported after every complete batch
 * before it has been yielded, as an {@link ArrowCorruptError} naming the file and batch index.
 * (Arrow IPC has no checksums: flipped bytes inside value buffers cannot be detected.)
 *
 * `startAt` resumes at a row: a file is entered through its footer without touching earlier
 * batches; a stream is scanned reading only the metadata of earlier batches. Returning early or
 * aborting closes the file.
 *
 * @example
 * ```ts
 * const records = readArrowRecords('corpus.arrow', { column: 'text' });
 * for await (const record of records) console.log(record.position, record.value);
 * console.log(records.stats.nullsSkipped);
 * ```
 * @param path - The Arrow file.
 * @param options - Column, kind, null policy, resume position, signal.
 * @returns The records (an async generator with `stats`).
 * @throws ArrowColumnError (`ERR_ARROW_COLUMN`) when the column is missing or unusable.
 * @throws ArrowCorruptError (`ERR_ARROW_CORRUPT`) on damaged input, after the complete batches.
 * @throws InputError `ERR_ARROW_NULL` on a null row with `nulls: 'error'`, `ERR_ARROW_VALUE` on a token outside Int32, `ERR_ARROW_START` when `startAt` is past the end.
 * @throws ConfigError on invalid options.
 */
export function readArrowRecords(path: string, options: ReadArrowOptions): ArrowRecords {
  if (typeof options.column !== 'string' || options.column === '') throw new ConfigError('column', 'must be a non-empty column name');
  if (options.kind !== undefined && !['auto', 'tokens', 'text'].includes(options.kind)) {
    throw new ConfigError('kind', `must be 'auto', 'tokens' or 'text', got ${String(options.kind)}`);
  }
  if (options.nulls !== undefined && options.nulls !== 'skip' && options.nulls !== 'error') {
    throw new ConfigError('nulls', `must be 'skip' or 'error', got ${String(options.nulls)}`);
  }
  const start = options.startAt ?? { batch: 0, row: 0 };
  if (!Number.isSafeInteger(start.batch) || start.batch < 0 || !Number.isSafeInteger(start.row) || start.row < 0) {
    throw new ConfigError('startAt', `batch and row must be non-negative integers, got ${JSON.stringify(options.startAt)}`);
  }
  const stats: ArrowReadStats = { batches: 0, rows: 0, records: 0, nullsSkipped: 0 };
  return Object.assign(generate(path, options, start, stats), { stats });
}

async function* generate(
  path: string,
  options: ReadArrowOptions,
  start: { readonly batch: number; readonly row: number },
  stats: ArrowReadStats,
): AsyncGenerator<SourceRecord, void, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const handle = await open(path, 'r');
  try {
    const input = await openArrowInput(path, handle);
    const plan = planColumn(path, input.schema, options.column, options.kind ?? 'auto');
    const batches = input.batches({ from: start.batch, dictionaryId: plan.dictionaryId, requireEos: options.allowMissingEos !== true });
    const pastEnd = (detail: string) =>
      new InputError('ERR_ARROW_START', `${path}: resume position batch ${start.batch} row ${start.row} is past the end (${detail})`);
    for (;;) {
      signal?.throwIfAborted();
      const next = await batches.next();
      if (next.done) {
        if (start.batch > next.value || (start.batch === next.value && start.row > 0)) throw pastEnd(`${next.value} record batches`);
        return;
      }
      const { index, frame, dictionaries } = next.value;
      const body = await readAt(handle, frame.bodyOffset, frame.bodyLength);
      let batch;
      let read;
      try {
        batch = decodeRecordBatch(input.schemaMessage, dictionaries, frame.head, body);
        read = plan.rows(batch, index);
      } catch (error) {
        throw new ArrowCorruptError(path, index, `cannot decode: ${describeError(error)}`, frame.offset, { cause: error });
      }
      if (typeof read === 'string') throw new ArrowCorruptError(path, index, read, frame.offset);
      if (index === start.batch && start.row > batch.numRows) throw pastEnd(`batch ${index} has ${batch.numRows} rows`);
      stats.batches += 1;
      for (let row = index === start.batch ? start.row : 0; row < batch.numRows; row++) {
        const position: ArrowPosition = { kind: 'arrow', file: path, batch: index, row };
        const value = read(row);
        stats.rows += 1;
        if (value === null) {
          if (options.nulls === 'error') throw new InputError('ERR_ARROW_NULL', `null in column "${options.column}"`, position);
          stats.nullsSkipped += 1;
          continue;
        }
        stats.records += 1;
        yield typeof value === 'string' ? { value, position } : { value: EMPTY, tokens: value, position };
        signal?.throwIfAborted();
      }
    }
  } finally {
    await handle.close();
  }
}
