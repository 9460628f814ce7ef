import { open } from 'node:fs/promises';
import { ConfigError, InputError } from '../../src/errors/index.js';
import { hasArrowMagic, readAt, readIpcFrame } from './ipc-message.js';

/** The intact beginning of an Arrow IPC stream file. */
export interface ArrowStreamPrefix {
  /** Complete record batches counted from the start. */
  readonly batches: number;
  /** Rows in those batches. */
  readonly rows: number;
  /**
   * Length of the prefix in bytes: the end of the last batch counted (the end of the schema
   * message when none is), or 0 when not even the schema message is intact.
   */
  readonly bytes: number;
  /** Whether the end-of-stream marker directly follows the batches counted. */
  readonly complete: boolean;
}

/**
 * Finds where the last complete record batch of an Arrow IPC stream file ends: the schema
 * message, then every record batch message whose framing, metadata and body lie entirely in
 * the file, up to the first damaged or cut message, the end-of-stream marker, or `maxBatches`.
 * A stream output cut off by a crash can be truncated to `bytes` and appended to (see
 * `createArrowSink` with `mode: 'append'`). Only framing is checked: Arrow IPC has no
 * checksums, so damaged bytes inside a message body are not found here.
 *
 * @example
 * ```ts
 * const { batches, bytes } = await validArrowStreamPrefix('out.arrows');
 * await truncate('out.arrows', bytes);
 * ```
 * @param path - The stream file.
 * @param options - `maxBatches`: stop after this many batches.
 * @returns The batches, rows and bytes of the intact prefix.
 * @throws InputError `ERR_ARROW_FORMAT` when the file is in the Arrow IPC file format (not a stream).
 * @throws ConfigError when `maxBatches` is not a non-negative integer.
 */
export async function validArrowStreamPrefix(path: string, options: { readonly maxBatches?: number } = {}): Promise<ArrowStreamPrefix> {
  const { maxBatches = Number.POSITIVE_INFINITY } = options;
  if (maxBatches !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(maxBatches) || maxBatches < 0)) {
    throw new ConfigError('maxBatches', `must be a non-negative integer, got ${String(maxBatches)}`);
  }
  const handle = await open(path, 'r');
  try {
    const size = (await handle.stat()).size;
    if (hasArrowMagic(await readAt(handle, 0, 6))) {
      throw new InputError('ERR_ARROW_FORMAT', `${path} is an Arrow IPC file, not a stream: it cannot be appended to`);
    }
    const schema = await readIpcFrame(handle, 0, size);
    if (schema.kind !== 'message' || !schema.message.isSchema()) return { batches: 0, rows: 0, bytes: 0, complete: false };
    let batches = 0;
    let rows = 0;
    let bytes = schema.end;
    let offset = schema.end;
    for (;;) {
      const frame = await readIpcFrame(handle, offset, size);
      if (frame.kind === 'eos') return { batches, rows, bytes, complete: true };
      if (batches === maxBatches || frame.kind !== 'message') return { batches, rows, bytes, complete: false };
      const { message } = frame;
      if (message.isRecordBatch()) {
        batches += 1;
        rows += message.header().length;
        bytes = frame.end;
      } else if (!message.isDictionaryBatch()) {
        return { batches, rows, bytes, complete: false };
      }
      offset = frame.end;
    }
  } finally {
    await handle.close();
  }
}
