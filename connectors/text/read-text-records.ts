import { promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { ConfigError } from '../../src/errors/config-error.js';
import { InputError } from '../../src/errors/input-error.js';
import type { TextPosition } from '../../src/records/source-position.js';
import type { SourceRecord } from '../../src/records/source-record.js';

/** A place in a text input: a record's first byte and its 1-based line (record) number. */
export interface TextResumePoint {
  /** Byte offset of the record's first byte. */
  readonly byteOffset: number;
  /** 1-based line (record) number of that record. */
  readonly line: number;
}

/** Options of {@link readTextRecords}. */
export interface ReadTextOptions {
  /** Record delimiter (matched on its UTF-8 bytes). Default `"\n"`; with `"\n"`, a `"\r"` before it is dropped too. */
  delimiter?: string;
  /** Stops reading: the next pull rejects with the signal's reason, and the file closes at once. */
  signal?: AbortSignal;
  /** Longest record accepted, in bytes, without its delimiter. Default 16 MiB. */
  maxRecordBytes?: number;
  /** Begin at this record (from a position seen earlier): seek there, number lines from `line`. */
  startAt?: TextResumePoint;
  /** Begin after this record (the position of the last record processed): it is read and skipped. */
  startAfter?: TextResumePoint;
  /** `utf8` (default): values are strings (invalid sequences become U+FFFD). `bytes`: values are `Uint8Array`s. */
  encoding?: 'utf8' | 'bytes';
  /** File name in positions. Default: the path, `<stdin>` for `"-"`, `<stream>` for a stream. */
  name?: string;
  /** Bytes read from the file per read call. Default 64 KiB. */
  readBufferSize?: number;
}

const DEFAULT_MAX_RECORD_BYTES = 16 * 1024 * 1024;
const DEFAULT_READ_BUFFER_SIZE = 64 * 1024;
const CR = 0x0d;

interface Config {
  readonly delimiter: Buffer;
  readonly stripCr: boolean;
  readonly signal: AbortSignal | undefined;
  readonly maxRecordBytes: number;
  readonly start: TextResumePoint;
  readonly skipFirst: boolean;
  readonly bytes: boolean;
  readonly name: string;
  readonly readBufferSize: number;
}

/** Where bytes come from: a file read at explicit offsets, or a stream. */
interface ByteSource {
  /** Reads up to `length` bytes into `target` at `offset`; 0 means end of input. */
  read(target: Buffer, offset: number, length: number): Promise<number>;
  /** Releases the file or stream. Idempotent; safe to call while a read is pending. */
  close(): Promise<void>;
}

function isPositiveInteger(n: unknown): n is number {
  return Number.isSafeInteger(n) && (n as number) > 0;
}

function checkPoint(field: string, point: TextResumePoint): void {
  if (!Number.isSafeInteger(point.byteOffset) || point.byteOffset < 0) {
    throw new ConfigError(`${field}.byteOffset`, `must be a non-negative integer, got ${String(point.byteOffset)}`);
  }
  if (!isPositiveInteger(point.line)) {
    throw new ConfigError(`${field}.line`, `must be a positive integer (lines count from 1), got ${String(point.line)}`);
  }
}

function configure(input: string | NodeJS.ReadableStream, options: ReadTextOptions): Config {
  const { delimiter = '\n', maxRecordBytes = DEFAULT_MAX_RECORD_BYTES, readBufferSize = DEFAULT_READ_BUFFER_SIZE } = options;
  if (typeof delimiter !== 'string' || delimiter.length === 0) {
    throw new ConfigError('delimiter', 'must be a non-empty string');
  }
  if (!isPositiveInteger(maxRecordBytes)) {
    throw new ConfigError('maxRecordBytes', `must be a positive integer, got ${String(maxRecordBytes)}`);
  }
  if (!isPositiveInteger(readBufferSize)) {
    throw new ConfigError('readBufferSize', `must be a positive integer, got ${String(readBufferSize)}`);
  }
  if (options.encoding !== undefined && options.encoding !== 'utf8' && options.encoding !== 'bytes') {
    throw new ConfigError('encoding', `must be "utf8" or "bytes", got ${String(options.encoding)}`);
  }
  if (options.startAt && options.startAfter) {
    throw new ConfigError('startAt', 'give startAt or startAfter, not both');
  }
  if (options.startAt) checkPoint('startAt', options.startAt);
  if (options.startAfter) checkPoint('startAfter', options.startAfter);
  const defaultName = typeof input !== 'string' ? '<stream>' : input === '-' ? '<stdin>' : input;
  return {
    delimiter: Buffer.from(delimiter, 'utf8'),
    stripCr: delimiter === '\n',
    signal: options.signal,
    maxRecordBytes,
    start: options.startAt ?? options.startAfter ?? { byteOffset: 0, line: 1 },
    skipFirst: options.startAfter !== undefined,
    bytes: options.encoding === 'bytes',
    name: options.name ?? defaultName,
    readBufferSize,
  };
}

async function openFile(path: string, config: Config): Promise<ByteSource> {
  let handle: FileHandle;
  try {
    handle = await fsp.open(path, 'r');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError('ERR_FILE_NOT_FOUND', `no such file: ${path}`, undefined, { cause: e });
    throw new InputError('ERR_READ_FAILED', `cannot open ${path}: ${(e as Error).message}`, undefined, { cause: e });
  }
  let filePosition = config.start.byteOffset;
  let closing: Promise<void> | undefined;
  return {
    async read(target, offset, length) {
      const { bytesRead } = await handle.read(target, offset, length, filePosition);
      filePosition += bytesRead;
      return bytesRead;
    },
    close() {
      closing ??= handle.close().catch(() => undefined); // nothing to do about a failed close of a read-only file
      return closing;
    },
  };
}

function openStream(stream: NodeJS.ReadableStream, config: Config): ByteSource {
  const iterator = stream[Symbol.asyncIterator]();
  let toSkip = config.start.byteOffset; // a stream cannot seek: skip the bytes instead
  let chunk: Buffer | undefined;
  let closing: Promise<void> | undefined;
  return {
    async read(target, offset, length) {
      while (!chunk || chunk.length === 0) {
        const next = await iterator.next();
        if (next.done) return 0;
        chunk = typeof next.value === 'string' ? Buffer.from(next.value, 'utf8') : next.value;
        const skipped = Math.min(toSkip, chunk.length);
        toSkip -= skipped;
        chunk = chunk.subarray(skipped);
      }
      const n = chunk.copy(target, offset, 0, Math.min(length, chunk.length));
      chunk = chunk.subarray(n);
      return n;
    },
    close() {
      // Destroying first also settles a pending next() (e.g. an idle stdin).
      closing ??= (async () => {
        const destroy = (stream as { destroy?: () => void }).destroy;
        if (typeof destroy === 'function') destroy.call(stream);
        await iterator.return?.();
      })().catch(() => undefined);
      return closing;
    },
  };
}

/**
 * Reads records (lines, or any delimiter) from a file, stdin or a stream, as the consumer pulls
 * them. Memory stays flat for any file size: the file is read through one reused buffer (grown
 * only to fit the longest record), and only when the next record is asked for.
 *
 * Each record carries a {@link TextPosition}: `line` (1-based record number) and `byteOffset`
 * (the record's first byte), enough to resume with `startAt` / `startAfter`. Records are split
 * on bytes and decoded whole, so a character split across reads is never broken. With the
 * default `"\n"` delimiter, CRLF line ends lose their `"\r"`. Empty lines are yielded as `""`;
 * a final record without a delimiter is yielded too.
 *
 * Stopping early (`break`, `return()`) or aborting closes the file; a stream given as input is
 * destroyed (as `for await` over a Node stream does).
 *
 * @example
 * ```ts
 * for await (const record of readTextRecords('app.log')) {
 *   const { line, byteOffset } = record.position as TextPosition;
 * }
 * // resume after the last processed record
 * readTextRecords('app.log', { startAfter: { byteOffset: 1234, line: 57 } });
 * ```
 * @param input - A file path, `"-"` for stdin, or a readable stream.
 * @param options - Delimiter, encoding, resume point, limits, abort signal.
 * @returns An async iterable of records; each iteration reads the input from `startAt` again
 *   (a stream can be iterated once).
 * @throws ConfigError at the call for invalid options.
 * @throws InputError `ERR_FILE_NOT_FOUND` (naming the path) on the first pull; `ERR_READ_FAILED` if the
 *   file cannot be opened or read (e.g. a directory) or the stream errors (the cause is attached).
 * @throws InputError `ERR_RECORD_TOO_LARGE` (with the record's position) for a record over `maxRecordBytes`.
 * @throws The signal's reason (an `AbortError` by default) after an abort.
 */
export function readTextRecords(
  input: string | NodeJS.ReadableStream,
  options: ReadTextOptions = {},
): AsyncIterable<SourceRecord> {
  const config = configure(input, options);
  return {
    [Symbol.asyncIterator]: () => readRecords(input, config),
  };
}

async function* readRecords(input: string | NodeJS.ReadableStream, config: Config): AsyncGenerator<SourceRecord, void, undefined> {
  const { signal, delimiter, maxRecordBytes, readBufferSize } = config;
  signal?.throwIfAborted();
  const source =
    typeof input !== 'string' ? openStream(input, config) : input === '-' ? openStream(process.stdin, config) : await openFile(input, config);
  const onAbort = (): void => void source.close();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    const needle = delimiter.length === 1 ? (delimiter[0] as number) : delimiter; // one byte: memchr fast path
    let buffer = Buffer.allocUnsafe(2 * readBufferSize);
    let view = buffer.subarray(0, 0); // the valid bytes
    let base = config.start.byteOffset; // file offset of buffer[0]
    let start = 0; // first byte of the current record in buffer
    let end = 0; // end of the valid bytes in buffer
    let scanFrom = 0; // where to look for the next delimiter
    let line = config.start.line;
    let skip = config.skipFirst;
    let eof = false;

    const position = (): TextPosition => ({ kind: 'text', file: config.name, line, byteOffset: base + start });
    const tooLarge = (size: string): InputError =>
      new InputError('ERR_RECORD_TOO_LARGE', `record of ${size} bytes exceeds maxRecordBytes (${maxRecordBytes})`, position());
    const record = (from: number, to: number): SourceRecord => {
      if (config.stripCr && to > from && buffer[to - 1] === CR) to -= 1;
      if (to - from > maxRecordBytes) throw tooLarge(String(to - from));
      const value = config.bytes ? new Uint8Array(buffer.subarray(from, to)) : buffer.toString('utf8', from, to);
      return { value, position: position() };
    };

    while (!eof || start < end) {
      const at = eof ? -1 : view.indexOf(needle, scanFrom);
      if (at >= 0 || eof) {
        // A whole record: up to the delimiter, or the rest of the input at its end.
        const next = record(start, at >= 0 ? at : end);
        start = at >= 0 ? at + delimiter.length : end;
        scanFrom = start;
        if (skip) skip = false;
        else {
          signal?.throwIfAborted();
          yield next;
        }
        line += 1;
        continue;
      }
      if (end - start > maxRecordBytes + delimiter.length) throw tooLarge(`more than ${maxRecordBytes + 1}`);
      scanFrom = Math.max(start, end - delimiter.length + 1);
      // Keep only the unfinished record, then make room for one more read.
      if (start > 0) {
        buffer.copy(buffer, 0, start, end);
        base += start;
        end -= start;
        scanFrom -= start;
        start = 0;
      }
      if (buffer.length - end < readBufferSize) {
        const grown = Buffer.allocUnsafe(Math.max(2 * buffer.length, end + readBufferSize));
        buffer.copy(grown, 0, 0, end);
        buffer = grown;
      }
      signal?.throwIfAborted();
      let n: number;
      try {
        n = await source.read(buffer, end, readBufferSize);
      } catch (e) {
        signal?.throwIfAborted(); // a read cut short by our own abort
        throw new InputError('ERR_READ_FAILED', `cannot read: ${(e as Error).message}`, position(), { cause: e });
      }
      signal?.throwIfAborted();
      end += n;
      eof = n === 0;
      view = buffer.subarray(0, end);
    }
  } finally {
    signal?.removeEventListener('abort', onAbort);
    await source.close();
  }
}
