import { open } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Schema } from 'apache-arrow';
import { ConfigError, InputError, TitansError } from '../../src/errors/index.js';
import { fsyncDirectory } from '../fs/fsync-directory.js';
import { BatchBuilder } from './batch-builder.js';
import type { ArrowColumnType, ArrowRow } from './batch-builder.js';
import { IpcEncoder } from './ipc-encoder.js';
import { encodeIpcFooter } from './ipc-footer.js';
import type { IpcBlock } from './ipc-footer.js';
import { ARROW_MAGIC, END_OF_STREAM, FILE_HEADER_LENGTH, readAt, readIpcFrame } from './ipc-message.js';
import { validArrowStreamPrefix } from './valid-arrow-stream-prefix.js';

/** Options of {@link createArrowSink}. */
export interface ArrowSinkOptions {
  /** Column name → type, in schema order. */
  readonly columns: Readonly<Record<string, ArrowColumnType>>;
  /** Schema metadata. */
  readonly metadata?: Readonly<Record<string, string>>;
  /** `stream` (default): IPC stream, ends with the end-of-stream marker. `file`: IPC file, footer written on close. */
  readonly format?: 'stream' | 'file';
  /** Rows per record batch. Default 4096. */
  readonly batchRows?: number;
  /** Encoded batches allowed to wait for the disk before `write` waits. Default 4. */
  readonly queueCapacity?: number;
  /**
   * `create` (default): start a new file (an existing one is replaced). `append` (stream
   * format only): keep the intact prefix of an existing stream (its complete batches, or the
   * first `keepBatches` of them), cut off the rest (a partial batch, the end-of-stream marker)
   * and continue after it. A missing or schema-less file starts fresh.
   */
  readonly mode?: 'create' | 'append';
  /** With `append`: keep exactly this many batches (e.g. from a checkpoint taken with `flush`). */
  readonly keepBatches?: number;
  /** Sync the file to disk on `flush` and `close` (and its directory once, when created). Default false. */
  readonly fsync?: boolean;
  /** Aborting makes pending and later `write`s reject with the signal's reason. */
  readonly signal?: AbortSignal;
}

/** How much of the output is in the file. */
export interface ArrowSinkStats {
  /** Record batches written. */
  readonly batches: number;
  /** Rows in those batches. */
  readonly rows: number;
  /** Bytes in the file (after `close`: including the end-of-stream marker or footer). */
  readonly bytes: number;
}

/** An incremental Arrow IPC writer with backpressure. */
export interface ArrowSink {
  readonly path: string;
  readonly schema: Schema;
  /**
   * Adds rows. Each full batch is encoded and queued for the disk; while `queueCapacity`
   * batches are waiting the call waits too, so awaiting it bounds memory, even for one large
   * array of rows.
   *
   * @throws InputError `ERR_ARROW_ROW` when a value does not fit its column (earlier rows of the call are kept).
   * @throws TitansError `ERR_ARROW_SINK_CLOSED` after close or abort; the write error after a failed write.
   */
  write(rows: ArrowRow | readonly ArrowRow[]): Promise<void>;
  /**
   * Ends the current batch (even if short), waits until everything is written (and synced,
   * with `fsync`). The result is a checkpoint: `createArrowSink(path, { mode: 'append',
   * keepBatches: batches })` later resumes exactly here.
   */
  flush(): Promise<ArrowSinkStats>;
  /** Flushes, writes the end-of-stream marker (stream) or footer (file), syncs (with `fsync`) and closes. */
  close(): Promise<ArrowSinkStats>;
  /**
   * Stops at once: waits only for the write in progress, drops queued batches and unflushed
   * rows, closes the file without end marker or footer (a stream stays a valid prefix).
   * Idempotent.
   */
  abort(reason?: unknown): Promise<void>;
}

const DEFAULT_BATCH_ROWS = 4096;
const DEFAULT_QUEUE_CAPACITY = 4;
const FILE_HEADER = (() => {
  const header = new Uint8Array(FILE_HEADER_LENGTH);
  header.set(ARROW_MAGIC);
  return header;
})();

function positiveInteger(field: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) throw new ConfigError(field, `must be a positive integer, got ${String(value)}`);
  return value;
}

async function writeFully(handle: FileHandle, bytes: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < bytes.byteLength) {
    const { bytesWritten } = await handle.write(bytes, done, bytes.byteLength - done, position + done);
    done += bytesWritten;
  }
}

/** Length of a message's framing and metadata (the part before its body). */
function headLength(message: Uint8Array): number {
  return 8 + new DataView(message.buffer, message.byteOffset, 8).getInt32(4, true);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.byteLength === b.byteLength && a.every((x, i) => x === b[i]);
}

/** Where writing starts: a fresh file, or the intact prefix of an existing stream. */
interface Start {
  readonly handle: FileHandle;
  readonly created: boolean;
  readonly batches: number;
  readonly rows: number;
  readonly bytes: number;
}

async function openForAppend(path: string, encoder: IpcEncoder, keepBatches: number | undefined): Promise<Start | undefined> {
  let prefix;
  try {
    prefix = await validArrowStreamPrefix(path, keepBatches === undefined ? {} : { maxBatches: keepBatches });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    prefix = undefined;
  }
  const found = prefix?.batches ?? 0;
  if (keepBatches !== undefined && found < keepBatches) {
    throw new InputError('ERR_ARROW_APPEND', `${path}: ${keepBatches} record batches should be kept, but only ${found} are intact`);
  }
  if (!prefix || prefix.bytes === 0) return undefined;
  const handle = await open(path, 'r+');
  try {
    const schema = await readIpcFrame(handle, 0, prefix.bytes);
    const existing = schema.kind === 'message' ? await readAt(handle, 0, schema.end) : new Uint8Array(0);
    if (!sameBytes(existing, encoder.schemaMessage)) {
      throw new InputError('ERR_ARROW_APPEND', `${path}: the existing stream has a different schema than the sink's columns`);
    }
    await handle.truncate(prefix.bytes);
    return { handle, created: false, batches: prefix.batches, rows: prefix.rows, bytes: prefix.bytes };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

/**
 * Opens an Arrow IPC output (stream or file format) and returns a sink that writes rows in
 * record batches of `batchRows`, incrementally, with a bounded queue: apache-arrow's writer
 * has no backpressure, so batches are encoded here and written with positioned writes through
 * a `FileHandle`; `write` waits while `queueCapacity` encoded batches are pending. Memory stays
 * about (`queueCapacity` + 1) batches.
 *
 * Files written in the `file` format also hold the schema message after the magic bytes (as the
 * format specifies), so the complete batches of a truncated file can still be read.
 *
 * @example
 * ```ts
 * const sink = await createArrowSink('out.arrows', { columns: { token: 'int32', surprise: 'float32' } });
 * for (const [token, surprise] of results) await sink.write({ token, surprise });
 * const stats = await sink.close();
 * ```
 * @param path - The output file.
 * @param options - Columns, format, batch size, queue capacity, mode, fsync, signal.
 * @returns The open sink.
 * @throws ConfigError on invalid options.
 * @throws InputError `ERR_ARROW_APPEND` when appending is impossible (schema differs, fewer intact batches than `keepBatches`); `ERR_ARROW_FORMAT` when appending to an IPC file.
 */
export async function createArrowSink(path: string, options: ArrowSinkOptions): Promise<ArrowSink> {
  const format = options.format ?? 'stream';
  if (format !== 'stream' && format !== 'file') throw new ConfigError('format', `must be 'stream' or 'file', got ${String(format)}`);
  const mode = options.mode ?? 'create';
  if (mode !== 'create' && mode !== 'append') throw new ConfigError('mode', `must be 'create' or 'append', got ${String(mode)}`);
  if (mode === 'append' && format !== 'stream') throw new ConfigError('mode', "'append' needs format 'stream'");
  if (options.keepBatches !== undefined && (mode !== 'append' || !Number.isSafeInteger(options.keepBatches) || options.keepBatches < 0)) {
    throw new ConfigError('keepBatches', "must be a non-negative integer, with mode 'append'");
  }
  const batchRows = positiveInteger('batchRows', options.batchRows ?? DEFAULT_BATCH_ROWS);
  const queueCapacity = positiveInteger('queueCapacity', options.queueCapacity ?? DEFAULT_QUEUE_CAPACITY);
  const builder = new BatchBuilder(options.columns, batchRows, options.metadata);
  const encoder = new IpcEncoder(builder.schema);
  options.signal?.throwIfAborted();

  const start = (mode === 'append' ? await openForAppend(path, encoder, options.keepBatches) : undefined) ?? {
    handle: await open(path, 'w'),
    created: true,
    batches: 0,
    rows: 0,
    bytes: 0,
  };
  return new QueuedArrowSink(path, builder, encoder, start, { format, queueCapacity, fsync: options.fsync === true, signal: options.signal });
}

class QueuedArrowSink implements ArrowSink {
  readonly schema: Schema;
  private readonly handle: FileHandle;
  private readonly blocks: IpcBlock[] = [];
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private waiters: (() => void)[] = [];
  private failure: { error: unknown } | undefined;
  private state: 'open' | 'closing' | 'closed' = 'open';
  /** Bytes reserved by queued writes (the next write position). */
  private end: number;
  private written: { batches: number; rows: number; bytes: number };
  private rowsAdded: number;
  private needsDirSync: boolean;
  private readonly onAbort = (): void => this.wake();

  constructor(
    readonly path: string,
    private readonly builder: BatchBuilder,
    private readonly encoder: IpcEncoder,
    start: Start,
    private readonly options: { format: 'stream' | 'file'; queueCapacity: number; fsync: boolean; signal: AbortSignal | undefined },
  ) {
    this.schema = builder.schema;
    this.handle = start.handle;
    this.end = start.bytes;
    this.written = { batches: start.batches, rows: start.rows, bytes: start.bytes };
    this.rowsAdded = start.rows;
    this.needsDirSync = start.created && options.fsync;
    if (start.bytes === 0) {
      const header = options.format === 'file' ? concat(FILE_HEADER, encoder.schemaMessage) : encoder.schemaMessage;
      this.enqueue(header, { batches: 0, rows: 0 });
    }
    options.signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  async write(rows: ArrowRow | readonly ArrowRow[]): Promise<void> {
    this.checkWritable();
    const list: readonly ArrowRow[] = Array.isArray(rows) ? rows : [rows as ArrowRow];
    for (const row of list) {
      this.builder.append(row, this.rowsAdded);
      this.rowsAdded += 1;
      if (this.builder.length === this.builder.capacity) {
        this.enqueueBatch();
        await this.room();
      }
    }
  }

  /** Waits until fewer than `queueCapacity` batches are pending (or the sink failed or was aborted). */
  private async room(): Promise<void> {
    while (this.pending >= this.options.queueCapacity && !this.failure && !this.options.signal?.aborted) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.checkWritable();
  }

  async flush(): Promise<ArrowSinkStats> {
    this.checkWritable();
    if (this.builder.length > 0) this.enqueueBatch();
    await this.settle();
    return { ...this.written };
  }

  async close(): Promise<ArrowSinkStats> {
    if (this.state !== 'open') throw this.closedError();
    this.state = 'closing';
    try {
      if (this.failure) throw this.failure.error;
      this.options.signal?.throwIfAborted();
      if (this.builder.length > 0) this.enqueueBatch();
      this.enqueue(this.options.format === 'file' ? fileTrailer(this.schema, this.blocks) : END_OF_STREAM, { batches: 0, rows: 0 });
      await this.settle();
      return { ...this.written };
    } finally {
      await this.release();
    }
  }

  async abort(reason?: unknown): Promise<void> {
    if (this.state === 'closed') return;
    this.failure ??= { error: reason ?? new TitansError('ERR_ARROW_SINK_CLOSED', `${this.path}: sink aborted`) };
    this.wake();
    await this.chain;
    await this.release();
  }

  private checkWritable(): void {
    if (this.state !== 'open') throw this.closedError();
    if (this.failure) throw this.failure.error;
    this.options.signal?.throwIfAborted();
  }

  private closedError(): TitansError {
    return new TitansError('ERR_ARROW_SINK_CLOSED', `${this.path}: the Arrow sink is closed`);
  }

  private enqueueBatch(): void {
    const rows = this.builder.length;
    const message = this.encoder.encode(this.builder.finish());
    const head = headLength(message);
    this.blocks.push({ offset: this.end, metadataLength: head, bodyLength: message.byteLength - head });
    this.enqueue(message, { batches: 1, rows });
  }

  private enqueue(bytes: Uint8Array, counts: { batches: number; rows: number }): void {
    const position = this.end;
    this.end += bytes.byteLength;
    this.pending += 1;
    this.chain = this.chain.then(async () => {
      try {
        if (!this.failure) {
          await writeFully(this.handle, bytes, position);
          this.written = {
            batches: this.written.batches + counts.batches,
            rows: this.written.rows + counts.rows,
            bytes: position + bytes.byteLength,
          };
        }
      } catch (error) {
        this.failure ??= { error };
      } finally {
        this.pending -= 1;
        this.wake();
      }
    });
  }

  /** Waits for every queued write, then syncs (with `fsync`); throws the first write error. */
  private async settle(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.error;
    if (this.options.fsync) {
      await this.handle.sync();
      if (this.needsDirSync) {
        await fsyncDirectory(dirname(this.path));
        this.needsDirSync = false;
      }
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve();
  }

  private async release(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.options.signal?.removeEventListener('abort', this.onAbort);
    await this.handle.close();
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** End-of-stream marker, footer, footer length and magic: the end of an IPC file. */
function fileTrailer(schema: Schema, blocks: readonly IpcBlock[]): Uint8Array {
  const footer = encodeIpcFooter(schema, blocks);
  const out = new Uint8Array(END_OF_STREAM.byteLength + footer.byteLength + 4 + ARROW_MAGIC.byteLength);
  const view = new DataView(out.buffer);
  out.set(END_OF_STREAM);
  out.set(footer, END_OF_STREAM.byteLength);
  view.setInt32(END_OF_STREAM.byteLength + footer.byteLength, footer.byteLength, true);
  out.set(ARROW_MAGIC, END_OF_STREAM.byteLength + footer.byteLength + 4);
  return out;
}
