import type { SourceRecord } from '../../src/records/index.js';
import { readTextRecords } from '../text/index.js';
import type { ArrowColumnType, ArrowRow } from './batch-builder.js';
import type { ArrowSinkStats } from './create-arrow-sink.js';
import { writeArrow } from './write-arrow.js';

/** The columns {@link convertTextToArrow} writes: the text, its 1-based line and its byte offset. */
export const TEXT_ARROW_COLUMNS = { text: 'utf8', line: 'int32', byte_offset: 'int64' } as const satisfies Record<string, ArrowColumnType>;

const ROWS_PER_WRITE = 256;

/** Options of {@link convertTextToArrow}. */
export interface ConvertTextOptions {
  /** A text file (read with `readTextRecords`: one record per line), or text records from any source. */
  readonly from: string | AsyncIterable<SourceRecord>;
  /** The Arrow output file. */
  readonly to: string;
  /** `stream` (default) or `file`. */
  readonly format?: 'stream' | 'file';
  /** Rows per record batch. Default 4096. */
  readonly batchRows?: number;
  /** Sync the output to disk when done. */
  readonly fsync?: boolean;
  readonly signal?: AbortSignal;
}

/**
 * Converts text records (lines of a file or log) into an Arrow IPC stream or file with the
 * columns of {@link TEXT_ARROW_COLUMNS}: `text` (Utf8), `line` (Int32) and `byte_offset`
 * (Int64), the last two taken from text positions (null for other positions). Byte values
 * are decoded as UTF-8. The result is a ready input for `readArrowRecords(to, { column: 'text' })`.
 *
 * @example
 * ```ts
 * const stats = await convertTextToArrow({ from: 'app.log', to: 'app.arrow', format: 'file' });
 * ```
 * @param options - Source, destination, format, batch size.
 * @returns The output's stats.
 * @throws What the source throws, and the sink's errors (see `createArrowSink`).
 */
export async function convertTextToArrow(options: ConvertTextOptions): Promise<ArrowSinkStats> {
  const { to, format = 'stream', batchRows, fsync, signal } = options;
  const from = typeof options.from === 'string' ? readTextRecords(options.from, signal === undefined ? {} : { signal }) : options.from;
  const decoder = new TextDecoder();
  // Rows go to the sink in small arrays: one await per chunk instead of per line.
  async function* rows(): AsyncGenerator<ArrowRow[]> {
    let chunk: ArrowRow[] = [];
    for await (const record of from) {
      const { value, position } = record;
      const text = position.kind === 'text';
      chunk.push({
        text: typeof value === 'string' ? value : decoder.decode(value),
        line: text ? position.line : null,
        byte_offset: text ? position.byteOffset : null,
      });
      if (chunk.length === ROWS_PER_WRITE) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }
  return writeArrow(to, {
    columns: TEXT_ARROW_COLUMNS,
    format,
    ...(batchRows === undefined ? {} : { batchRows }),
    ...(fsync === undefined ? {} : { fsync }),
    ...(signal === undefined ? {} : { signal }),
  })(rows());
}
