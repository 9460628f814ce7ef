import { DataType } from 'apache-arrow';
import type { Data, Field, RecordBatch, Schema } from 'apache-arrow';
import { InputError } from '../../src/errors/index.js';
import type { ArrowPosition } from '../../src/records/index.js';
import { ArrowColumnError } from './errors.js';

/** What records to make of a column: `auto` decides from its type. */
export type ArrowRecordKind = 'auto' | 'tokens' | 'text';

/** The value of one row: tokens, text, or `null` for a null row. */
export type RowValue = Int32Array | string | null;

/** Reads row `row` (0-based, inside the batch) of the planned column. */
export type RowReader = (row: number) => RowValue;

/** How a column of an Arrow schema is read. */
export interface ColumnPlan {
  /** Index of the column in the schema. */
  readonly index: number;
  /** Whether rows become token records or text records. */
  readonly produces: 'tokens' | 'text';
  /** Dictionary id of a dictionary-encoded text column. */
  readonly dictionaryId: number | undefined;
  /**
   * Checks the column's buffers in a decoded batch and returns a row reader, or a description
   * of what is inconsistent (offsets out of range, buffers too short...).
   */
  rows(batch: RecordBatch, batchIndex: number): RowReader | string;
}

type Shape = 'int' | 'list' | 'fixed-list' | 'text' | 'dictionary-text';

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;
type IntArray = Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array | BigInt64Array | BigUint64Array;
type OffsetArray = Int32Array | BigInt64Array;

function shapeOf(type: DataType): Shape | undefined {
  if (DataType.isInt(type)) return 'int';
  if (DataType.isUtf8(type) || DataType.isLargeUtf8(type)) return 'text';
  if ((DataType.isList(type) || DataType.isLargeList(type)) && DataType.isInt(type.children[0]?.type)) return 'list';
  if (DataType.isFixedSizeList(type) && DataType.isInt(type.children[0]?.type)) return 'fixed-list';
  if (DataType.isDictionary(type) && (DataType.isUtf8(type.dictionary) || DataType.isLargeUtf8(type.dictionary))) return 'dictionary-text';
  return undefined;
}

/**
 * Finds `column` in `schema` and checks that it can be read as `kind`: tokens from an integer
 * column (one token per row) or a `List`/`LargeList`/`FixedSizeList` of integers (one
 * sequence per row); text from `Utf8`, `LargeUtf8` or a dictionary of those.
 *
 * @example
 * ```ts
 * const plan = planColumn('in.arrow', schema, 'text', 'auto');
 * const read = plan.rows(batch, 0);
 * ```
 * @param file - The input path, for messages.
 * @param schema - The input's schema.
 * @param column - The column name.
 * @param kind - What the caller wants.
 * @returns The plan.
 * @throws ArrowColumnError when the column is missing or has an unusable type; the message lists every column and its type.
 */
export function planColumn(file: string, schema: Schema, column: string, kind: ArrowRecordKind): ColumnPlan {
  const fields: Field[] = schema.fields;
  const present = fields.map((f) => ({ name: f.name, type: String(f.type) }));
  const index = fields.findIndex((f) => f.name === column);
  const field = fields[index];
  if (!field) throw new ArrowColumnError(file, column, 'not found', present);
  const shape = shapeOf(field.type);
  if (!shape) {
    throw new ArrowColumnError(
      file,
      column,
      `has type ${String(field.type)}, which is neither integers, a list of integers, nor Utf8/LargeUtf8 text`,
      present,
    );
  }
  const produces = shape === 'text' || shape === 'dictionary-text' ? 'text' : 'tokens';
  if (kind !== 'auto' && kind !== produces) {
    const wanted = kind === 'tokens' ? 'tokens (integers or a list of integers)' : 'text (Utf8/LargeUtf8)';
    throw new ArrowColumnError(file, column, `has type ${String(field.type)}, but ${wanted} were asked for`, present);
  }
  return {
    index,
    produces,
    dictionaryId: DataType.isDictionary(field.type) ? field.type.id : undefined,
    rows: (batch, batchIndex) => {
      const data = batch.data.children[index];
      if (!data) return 'column missing from the batch';
      return rowReader(file, shape, data, batch.numRows, batchIndex);
    },
  };
}

function rowReader(file: string, shape: Shape, data: Data, numRows: number, batch: number): RowReader | string {
  const problem = checkCommon(data, numRows);
  if (problem) return problem;
  const isNull = (row: number) => data.nullCount > 0 && !data.getValid(row);
  const base = data.offset;
  const at = (row: number): ArrowPosition => ({ kind: 'arrow', file, batch, row });

  if (shape === 'int') {
    const values = data.values as IntArray;
    if (values.length < base + numRows) return `integer buffer holds ${values.length} values, ${base + numRows} needed`;
    return (row) => (isNull(row) ? null : Int32Array.of(toToken(values[base + row] ?? 0, at(row))));
  }

  if (shape === 'text') {
    const offsets = data.valueOffsets as OffsetArray;
    const bytes = data.values as Uint8Array;
    const bad = checkOffsets(offsets, base, numRows, bytes.length, 'text bytes');
    if (bad) return bad;
    const decoder = new TextDecoder();
    return (row) => (isNull(row) ? null : decoder.decode(bytes.subarray(Number(offsets[base + row]), Number(offsets[base + row + 1]))));
  }

  if (shape === 'dictionary-text') {
    const indices = data.values as IntArray;
    const dictionary = data.dictionary;
    if (!dictionary) return 'dictionary batch missing';
    if (indices.length < base + numRows) return `dictionary index buffer holds ${indices.length} values, ${base + numRows} needed`;
    for (let row = 0; row < numRows; row++) {
      const i = Number(indices[base + row]);
      if (!isNull(row) && !(i >= 0 && i < dictionary.length)) return `row ${row}: dictionary index ${i} out of range (dictionary has ${dictionary.length} entries)`;
    }
    return (row) => (isNull(row) ? null : ((dictionary.get(Number(indices[base + row])) as string | null) ?? null));
  }

  const child = data.children[0];
  if (!child) return 'list values missing';
  const values = child.values as IntArray;
  if (values.length < child.offset + child.length) return `list value buffer holds ${values.length} values, ${child.offset + child.length} needed`;
  let bounds: (row: number) => [number, number];
  if (DataType.isFixedSizeList(data.type)) {
    const size = data.type.listSize;
    if (child.length < (base + numRows) * size) return `list values hold ${child.length} entries, ${(base + numRows) * size} needed`;
    bounds = (row) => [(base + row) * size, (base + row + 1) * size];
  } else {
    const offsets = data.valueOffsets as OffsetArray;
    const bad = checkOffsets(offsets, base, numRows, child.length, 'list values');
    if (bad) return bad;
    bounds = (row) => [Number(offsets[base + row]), Number(offsets[base + row + 1])];
  }
  return (row) => {
    if (isNull(row)) return null;
    const [start, end] = bounds(row);
    if (child.nullCount > 0) {
      for (let i = start; i < end; i++) if (!child.getValid(i)) return null;
    }
    if (values instanceof Int32Array) return values.slice(child.offset + start, child.offset + end);
    const tokens = new Int32Array(end - start);
    for (let i = 0; i < tokens.length; i++) tokens[i] = toToken(values[child.offset + start + i] ?? 0, at(row));
    return tokens;
  };
}

function checkCommon(data: Data, numRows: number): string | undefined {
  if (data.length !== numRows) return `column has ${data.length} rows, the batch ${numRows}`;
  if (data.nullCount > 0 && data.nullBitmap.length * 8 < data.offset + numRows) {
    return `validity bitmap too short for ${numRows} rows (${data.nullCount} nulls)`;
  }
  return undefined;
}

function checkOffsets(offsets: OffsetArray, base: number, numRows: number, limit: number, what: string): string | undefined {
  if (offsets.length < base + numRows + 1) return `offset buffer holds ${offsets.length} entries, ${base + numRows + 1} needed`;
  let previous = Number(offsets[base]);
  if (previous < 0) return `negative offset ${previous} at row 0`;
  for (let row = 0; row < numRows; row++) {
    const next = Number(offsets[base + row + 1]);
    if (next < previous || next > limit) return `offset ${next} at row ${row} out of range (previous ${previous}, ${limit} ${what})`;
    previous = next;
  }
  return undefined;
}

function toToken(value: number | bigint, position: ArrowPosition): number {
  const n = Number(value);
  if (n < INT32_MIN || n > INT32_MAX) {
    throw new InputError('ERR_ARROW_VALUE', `token ${value} does not fit in an Int32`, position);
  }
  return n;
}
