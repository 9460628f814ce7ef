import { InputError } from '../../src/errors/index.js';

/** One column of an Arrow schema, as listed in {@link ArrowColumnError}. */
export interface ArrowColumnInfo {
  readonly name: string;
  /** Arrow's own rendering of the type, e.g. `Utf8`, `List<Int32>`. */
  readonly type: string;
}

/**
 * The requested column is missing from an Arrow input, or its type cannot be read as
 * tokens or text. The message lists every column present with its type.
 *
 * @example
 * ```ts
 * try { for await (const r of readArrowRecords('in.arrow', { column: 'txt' })) use(r); }
 * catch (e) { if (e instanceof ArrowColumnError) console.error(e.columns); }
 * ```
 */
export class ArrowColumnError extends InputError {
  /** The file that was read. */
  readonly file: string;
  /** The column that was asked for. */
  readonly column: string;
  /** Every column of the file's schema, in order. */
  readonly columns: readonly ArrowColumnInfo[];

  /**
   * @param file - The Arrow file.
   * @param column - The requested column.
   * @param problem - What is wrong, e.g. `not found`.
   * @param columns - The columns present.
   */
  constructor(file: string, column: string, problem: string, columns: readonly ArrowColumnInfo[]) {
    const present = columns.length === 0 ? '(none)' : columns.map((c) => `${c.name} (${c.type})`).join(', ');
    super('ERR_ARROW_COLUMN', `${file}: column "${column}" ${problem}; columns present: ${present}`);
    this.file = file;
    this.column = column;
    this.columns = columns;
  }
}

/**
 * An Arrow IPC stream or file is truncated or damaged. Readers throw it after yielding every
 * complete record batch before the damage; `batch` is the 0-based index of the first record
 * batch that could not be read and `byteOffset` where its message starts (when known).
 *
 * @example
 * ```ts
 * catch (e) { if (e instanceof ArrowCorruptError) console.error(`bad batch ${e.batch} of ${e.file}`); }
 * ```
 */
export class ArrowCorruptError extends InputError {
  /** The damaged file. */
  readonly file: string;
  /** 0-based index of the first record batch that could not be read. */
  readonly batch: number;
  /** Byte offset of the damaged message, if known. */
  readonly byteOffset: number | undefined;

  /**
   * @param file - The damaged file.
   * @param batch - Index of the first unreadable record batch.
   * @param problem - What was found.
   * @param byteOffset - Where the damaged message starts.
   * @param options - `cause`: the underlying error.
   */
  constructor(file: string, batch: number, problem: string, byteOffset?: number, options: { cause?: unknown } = {}) {
    const where = byteOffset === undefined ? '' : ` (byte ${byteOffset})`;
    super('ERR_ARROW_CORRUPT', `${file}: record batch ${batch}${where}: ${problem}`, undefined, options);
    this.file = file;
    this.batch = batch;
    this.byteOffset = byteOffset;
  }
}
