import type { FileHandle } from 'node:fs/promises';
import { Message } from 'apache-arrow';
import { describeError } from './describe-error.js';

/** `ARROW1`: the magic bytes at the start (and end) of an Arrow IPC file. */
export const ARROW_MAGIC = new Uint8Array([0x41, 0x52, 0x52, 0x4f, 0x57, 0x31]);

/** Length of the file header: the magic padded to 8 bytes. */
export const FILE_HEADER_LENGTH = 8;

/** The end-of-stream marker: continuation token and a zero metadata length. */
export const END_OF_STREAM = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0]);

/** One framed IPC message: its decoded metadata and where its bytes are. */
export interface IpcMessageFrame {
  readonly kind: 'message';
  /** Byte offset of the message's first byte. */
  readonly offset: number;
  /** The message's metadata bytes including the length prefix (what precedes the body). */
  readonly head: Uint8Array;
  readonly message: Message;
  /** Byte offset of the body. */
  readonly bodyOffset: number;
  readonly bodyLength: number;
  /** Byte offset just after the body. */
  readonly end: number;
}

/** What {@link readIpcFrame} found at an offset. */
export type IpcFrame =
  | IpcMessageFrame
  | { readonly kind: 'eos'; readonly offset: number; readonly end: number }
  | { readonly kind: 'eof'; readonly offset: number }
  | { readonly kind: 'damaged'; readonly offset: number; readonly problem: string };

/**
 * Reads up to `length` bytes at `position`; fewer only at the end of the file.
 *
 * @example
 * ```ts
 * const head = await readAt(handle, 0, 8);
 * ```
 * @param handle - An open file.
 * @param position - Byte offset.
 * @param length - Number of bytes wanted.
 * @returns The bytes read (a fresh, 8-byte aligned buffer).
 */
export async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Whether `bytes` holds {@link ARROW_MAGIC} at `offset`.
 *
 * @example
 * ```ts
 * hasArrowMagic(await readAt(handle, 0, 6)) // true for an IPC file
 * ```
 * @param bytes - Bytes read from a file.
 * @param offset - Where the magic should start.
 * @returns Whether it is there.
 */
export function hasArrowMagic(bytes: Uint8Array, offset = 0): boolean {
  return ARROW_MAGIC.every((b, i) => bytes[offset + i] === b);
}

/**
 * Reads the framing and metadata of the IPC message at `offset` (not its body) and checks
 * that the whole message lies inside the file. Never throws on bad bytes: damage is
 * reported as `{ kind: 'damaged', problem }` so the caller can name the batch.
 *
 * @example
 * ```ts
 * const frame = await readIpcFrame(handle, 0, size);
 * if (frame.kind === 'message' && frame.message.isSchema()) console.log(frame.message.header());
 * ```
 * @param handle - An open file.
 * @param offset - Where the message starts.
 * @param size - The file size.
 * @returns The frame, an end-of-stream marker, the end of the file, or the damage found.
 */
export async function readIpcFrame(handle: FileHandle, offset: number, size: number): Promise<IpcFrame> {
  const left = size - offset;
  if (left <= 0) return { kind: 'eof', offset };
  const prefix = await readAt(handle, offset, Math.min(8, left));
  if (prefix.byteLength < 4) return { kind: 'damaged', offset, problem: `truncated message header (${prefix.byteLength} trailing bytes)` };
  const view = new DataView(prefix.buffer, prefix.byteOffset, prefix.byteLength);
  let prefixLength = 4;
  let metadataLength = view.getInt32(0, true);
  if (metadataLength === -1) {
    // Current format: continuation token, then the length (older writers omit the token).
    if (prefix.byteLength < 8) return { kind: 'damaged', offset, problem: `truncated message header (${prefix.byteLength} trailing bytes)` };
    prefixLength = 8;
    metadataLength = view.getInt32(4, true);
  }
  if (metadataLength === 0) return { kind: 'eos', offset, end: offset + prefixLength };
  if (metadataLength < 0) return { kind: 'damaged', offset, problem: `invalid metadata length ${metadataLength}` };
  const bodyOffsetMin = offset + prefixLength + metadataLength;
  if (bodyOffsetMin > size) {
    return { kind: 'damaged', offset, problem: `truncated message metadata: ${metadataLength} bytes expected, ${left - prefixLength} left` };
  }
  const head = await readAt(handle, offset, prefixLength + metadataLength);
  let message: Message;
  try {
    message = Message.decode(head.subarray(prefixLength));
  } catch (error) {
    return { kind: 'damaged', offset, problem: `unreadable message metadata (${describeError(error)})` };
  }
  const bodyLength = message.bodyLength;
  if (!Number.isSafeInteger(bodyLength) || bodyLength < 0) {
    return { kind: 'damaged', offset, problem: `invalid body length ${bodyLength}` };
  }
  if (bodyOffsetMin + bodyLength > size) {
    return { kind: 'damaged', offset, problem: `truncated message body: ${bodyLength} bytes expected, ${size - bodyOffsetMin} left` };
  }
  return { kind: 'message', offset, head, message, bodyOffset: bodyOffsetMin, bodyLength, end: bodyOffsetMin + bodyLength };
}
