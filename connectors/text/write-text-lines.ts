import { promises as fsp } from 'node:fs';
import { ConfigError } from '../../src/errors/config-error.js';

/** Options of {@link writeTextLines}. */
export interface WriteTextOptions {
  /** Written after every line. Default `"\n"`. */
  delimiter?: string;
  /** Append to the file instead of replacing it. Default `false`. */
  append?: boolean;
  /** Stops writing: rejects with the signal's reason; the lines taken before the abort stay in the file. */
  signal?: AbortSignal;
}

/** What {@link writeTextLines} wrote. */
export interface WriteTextResult {
  /** Number of lines written. */
  readonly lines: number;
  /** Number of bytes written, delimiters included. */
  readonly bytes: number;
}

const WRITE_BUFFER_SIZE = 64 * 1024;

/**
 * Writes lines to a file, each followed by the delimiter, pulling them from the source only as
 * fast as the file takes them (through one 64 KiB buffer).
 *
 * @example
 * ```ts
 * await writeTextLines('sample.log', Array.from(sampleLogLines({ count: 1000 }), (l) => l.line));
 * ```
 * @param path - The file to create (or replace, or append to).
 * @param lines - The lines, without delimiters.
 * @param options - Delimiter, append mode, abort signal.
 * @returns How many lines and bytes were written.
 * @throws ConfigError for an empty delimiter; the file system's error if the file cannot be written;
 *   the signal's reason after an abort.
 */
export async function writeTextLines(
  path: string,
  lines: AsyncIterable<string> | Iterable<string>,
  options: WriteTextOptions = {},
): Promise<WriteTextResult> {
  const { delimiter = '\n', append = false, signal } = options;
  if (delimiter.length === 0) throw new ConfigError('delimiter', 'must be a non-empty string');
  signal?.throwIfAborted();
  const handle = await fsp.open(path, append ? 'a' : 'w');
  const buffer = Buffer.allocUnsafe(WRITE_BUFFER_SIZE);
  let used = 0;
  let count = 0;
  let bytes = 0;
  const flush = async (): Promise<void> => {
    if (used > 0) await handle.write(buffer, 0, used);
    used = 0;
  };
  try {
    try {
      for await (const line of lines) {
        signal?.throwIfAborted();
        const text = line + delimiter;
        const size = Buffer.byteLength(text, 'utf8');
        if (used + size > buffer.length) await flush();
        if (size > buffer.length) await handle.write(text, null, 'utf8');
        else used += buffer.write(text, used, 'utf8');
        count += 1;
        bytes += size;
      }
    } finally {
      await flush(); // lines taken before an abort or a failing source are kept
    }
  } finally {
    await handle.close();
  }
  return { lines: count, bytes };
}
