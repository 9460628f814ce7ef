import type { FileHandle } from 'node:fs/promises';
import type { Schema } from 'apache-arrow';
import { ArrowCorruptError } from './errors.js';
import { IpcEncoder } from './ipc-encoder.js';
import { decodeIpcFooter } from './ipc-footer.js';
import type { IpcFooter } from './ipc-footer.js';
import { FILE_HEADER_LENGTH, hasArrowMagic, readAt, readIpcFrame } from './ipc-message.js';
import type { IpcMessageFrame } from './ipc-message.js';

/** A record batch message located in the input, with the dictionary messages it needs. */
export interface BatchFrame {
  /** 0-based record batch index. */
  readonly index: number;
  readonly frame: IpcMessageFrame;
  /** Encoded dictionary messages (heads and bodies) for the requested dictionary id. */
  readonly dictionaries: readonly Uint8Array[];
}

/** Options of {@link ArrowInput.batches}. */
export interface BatchScanOptions {
  /** First record batch to yield; earlier ones are skipped without reading their bodies. */
  readonly from: number;
  /** Collect the dictionary messages with this id (for a dictionary-encoded column). */
  readonly dictionaryId?: number | undefined;
  /** Treat a stream that ends without an end-of-stream marker as truncated. */
  readonly requireEos: boolean;
}

/**
 * An opened Arrow IPC input (stream or file) read through a `FileHandle`: its schema and a
 * scan over its record batch messages. Only message metadata is read here; bodies are read
 * by the caller when it needs them.
 */
export interface ArrowInput {
  readonly schema: Schema;
  /** The encoded schema message, for decoding batches. */
  readonly schemaMessage: Uint8Array;
  /**
   * Record batch messages from `options.from` on. Returns the total number of record batches.
   * Throws {@link ArrowCorruptError} at the first damaged message, a file without a readable
   * footer (after its complete batches) or, with `requireEos`, a stream without its
   * end-of-stream marker.
   */
  batches(options: BatchScanOptions): AsyncGenerator<BatchFrame, number>;
}

/**
 * Opens an Arrow IPC input: detects the format from the magic bytes (`ARROW1` at the start:
 * file format, otherwise stream format), reads the schema (from the footer of a file, or from
 * the first message) and prepares a scan over the record batches.
 *
 * A file whose footer is missing or damaged (a truncated file) is scanned sequentially like a
 * stream, so its complete batches are still readable, provided it has a schema message after
 * the magic as the format specifies (files written by apache-arrow's JS writer have none; this
 * package's sink writes one).
 *
 * @example
 * ```ts
 * const input = await openArrowInput('in.arrows', handle);
 * for await (const { index, frame } of input.batches({ from: 0, requireEos: true })) use(index, frame);
 * ```
 * @param file - The path, for messages and positions.
 * @param handle - The open file.
 * @returns The opened input.
 * @throws ArrowCorruptError when the file is empty, not Arrow IPC, or its schema is unreadable.
 */
export async function openArrowInput(file: string, handle: FileHandle): Promise<ArrowInput> {
  const size = (await handle.stat()).size;
  if (size === 0) throw new ArrowCorruptError(file, 0, 'empty file: not an Arrow IPC stream or file', 0);
  const start = await readAt(handle, 0, Math.min(size, FILE_HEADER_LENGTH));
  const format = hasArrowMagic(start) ? 'file' : 'stream';
  const messagesStart = format === 'file' ? FILE_HEADER_LENGTH : 0;
  const footer = format === 'file' ? await readFooter(handle, size) : undefined;

  let schema: Schema;
  let schemaMessage: Uint8Array;
  let batchesStart = messagesStart;
  if (footer) {
    schema = footer.schema;
    schemaMessage = new IpcEncoder(schema).schemaMessage;
  } else {
    // The schema message opens the stream part (files written by arrow JS have none).
    const first = await readIpcFrame(handle, messagesStart, size);
    if (first.kind !== 'message' || !first.message.isSchema()) {
      const problem =
        format === 'file'
          ? 'file footer is missing or damaged and there is no schema message to recover from (truncated file?)'
          : first.kind === 'damaged'
            ? `unreadable schema message: ${first.problem}`
            : 'no schema message: not an Arrow IPC stream';
      throw new ArrowCorruptError(file, 0, problem, messagesStart);
    }
    schema = first.message.header();
    schemaMessage = first.head;
    batchesStart = first.end;
  }

  const fail = (index: number, problem: string, offset?: number): ArrowCorruptError =>
    new ArrowCorruptError(file, index, problem, offset);

  async function dictionaryMessage(frame: IpcMessageFrame): Promise<Uint8Array> {
    const body = await readAt(handle, frame.bodyOffset, frame.bodyLength);
    const bytes = new Uint8Array(frame.head.byteLength + body.byteLength);
    bytes.set(frame.head);
    bytes.set(body, frame.head.byteLength);
    return bytes;
  }

  async function* scan(options: BatchScanOptions): AsyncGenerator<BatchFrame, number> {
    let dictionaries: Uint8Array[] = [];
    let index = 0;
    let offset = batchesStart;
    for (;;) {
      const frame = await readIpcFrame(handle, offset, size);
      if (frame.kind === 'damaged') throw fail(index, frame.problem, frame.offset);
      if (frame.kind === 'eof' || frame.kind === 'eos') {
        if (format === 'file') throw fail(index, 'file footer is missing or damaged (truncated file?)', frame.offset);
        if (frame.kind === 'eof' && options.requireEos) {
          throw fail(index, 'stream ends without an end-of-stream marker (truncated stream?)', frame.offset);
        }
        return index;
      }
      const { message } = frame;
      if (message.isRecordBatch()) {
        if (index >= options.from) yield { index, frame, dictionaries };
        index += 1;
      } else if (message.isDictionaryBatch()) {
        const header = message.header();
        if (header.id === options.dictionaryId) {
          const bytes = await dictionaryMessage(frame);
          dictionaries = header.isDelta ? [...dictionaries, bytes] : [bytes];
        }
      } else {
        throw fail(index, `unexpected ${message.isSchema() ? 'second schema' : `type ${message.headerType}`} message`, frame.offset);
      }
      offset = frame.end;
    }
  }

  async function* viaFooter(found: IpcFooter, options: BatchScanOptions): AsyncGenerator<BatchFrame, number> {
    const dictionaries: Uint8Array[] = [];
    if (options.dictionaryId !== undefined) {
      for (const block of found.dictionaries()) {
        const frame = await readIpcFrame(handle, block.offset, size);
        if (frame.kind !== 'message' || !frame.message.isDictionaryBatch()) {
          throw fail(0, `dictionary message at byte ${block.offset} is unreadable`, block.offset);
        }
        if (frame.message.header().id === options.dictionaryId) dictionaries.push(await dictionaryMessage(frame));
      }
    }
    for (let index = options.from; index < found.recordBatches; index++) {
      const block = found.recordBatch(index);
      if (!block) throw fail(index, 'missing from the file footer');
      const frame = await readIpcFrame(handle, block.offset, size);
      if (frame.kind === 'damaged') throw fail(index, frame.problem, block.offset);
      if (frame.kind !== 'message' || !frame.message.isRecordBatch()) {
        throw fail(index, 'the footer points at something that is not a record batch message', block.offset);
      }
      if (frame.head.byteLength !== block.metadataLength || frame.bodyLength !== block.bodyLength) {
        throw fail(index, 'message lengths disagree with the file footer', block.offset);
      }
      yield { index, frame, dictionaries };
    }
    return found.recordBatches;
  }

  return {
    schema,
    schemaMessage,
    batches: (options) => (footer ? viaFooter(footer, options) : scan(options)),
  };
}

/** The footer of an IPC file, or `undefined` when it is missing or unreadable. */
async function readFooter(handle: FileHandle, size: number): Promise<IpcFooter | undefined> {
  // Layout: magic+padding (8) ... footer, int32 footer length, magic (6).
  const trailerLength = 4 + 6;
  if (size < FILE_HEADER_LENGTH + trailerLength) return undefined;
  const trailer = await readAt(handle, size - trailerLength, trailerLength);
  if (!hasArrowMagic(trailer, 4)) return undefined;
  const footerLength = new DataView(trailer.buffer, trailer.byteOffset, 4).getInt32(0, true);
  const footerStart = size - trailerLength - footerLength;
  if (footerLength <= 0 || footerStart < FILE_HEADER_LENGTH) return undefined;
  try {
    return decodeIpcFooter(await readAt(handle, footerStart, footerLength));
  } catch {
    return undefined;
  }
}
