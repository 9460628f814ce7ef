import { Field, FixedSizeList, Float32, Float64, Int32, Int64, List, RecordBatch, Schema, Struct, Utf8, makeData } from 'apache-arrow';
import type { Data } from 'apache-arrow';
import { ConfigError, InputError } from '../../src/errors/index.js';

/**
 * Column types the Arrow sink writes. `int32-list` is `List<Int32>` (a token sequence);
 * `{ float32List: n }` is `FixedSizeList<Float32>` of size n (a vector per row). Every column
 * is nullable.
 */
export type ArrowColumnType = 'utf8' | 'int32' | 'int64' | 'float32' | 'float64' | 'int32-list' | { readonly float32List: number };

/** A cell value: `null`/`undefined` for null, otherwise what the column type takes. */
export type ArrowValue = string | number | bigint | ArrayLike<number> | null | undefined;

/**
 * One row for the sink: column name → value. `utf8` takes strings; `int32` integers;
 * `int64` bigints or safe integers; `float32`/`float64` numbers; `int32-list` an `Int32Array`
 * or array of integers; `{ float32List: n }` a `Float32Array` or array of n numbers.
 * Missing columns are null; keys that are not columns are ignored.
 */
export type ArrowRow = Readonly<Record<string, ArrowValue>>;

interface ColumnBuilder {
  readonly field: Field;
  /** Appends at row `index` of the batch; returns a problem description when the value does not fit. */
  append(index: number, value: ArrowValue): string | undefined;
  finish(length: number): Data;
}

/** Validity bits of one column of one batch. */
class Validity {
  private readonly bits: Uint8Array;

  constructor(capacity: number) {
    this.bits = new Uint8Array(Math.ceil(capacity / 8));
  }

  set(index: number, valid: boolean): void {
    const mask = 1 << (index & 7);
    const byte = index >> 3;
    const old = this.bits[byte] ?? 0;
    this.bits[byte] = valid ? old | mask : old & ~mask;
  }

  /** `nullCount` and, when there are nulls, the bitmap of the first `length` rows. */
  props(length: number): ValidityProps {
    let valid = 0;
    for (let i = 0; i < length; i++) valid += ((this.bits[i >> 3] ?? 0) >> (i & 7)) & 1;
    const nullCount = length - valid;
    return nullCount === 0 ? { nullCount } : { nullCount, nullBitmap: this.bits.subarray(0, Math.ceil(length / 8)) };
  }
}

function grown<T extends Uint8Array | Int32Array>(array: T, needed: number, make: (n: number) => T): T {
  if (needed <= array.length) return array;
  const next = make(Math.max(needed, array.length * 2));
  next.set(array);
  return next;
}

function show(value: unknown): string {
  if (typeof value === 'string') return `a string`;
  if (typeof value === 'object' && value !== null) return value.constructor?.name ?? 'an object';
  return `${typeof value} ${String(value)}`;
}

function isInt32(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= -(2 ** 31) && value < 2 ** 31;
}

type ValidityProps = { nullCount: number; nullBitmap?: Uint8Array };

function numberColumn(
  name: string,
  type: Int32 | Float32 | Float64,
  values: Int32Array | Float32Array | Float64Array,
  capacity: number,
  make: (length: number, validity: ValidityProps) => Data,
): ColumnBuilder {
  const validity = new Validity(capacity);
  const integer = type instanceof Int32;
  return {
    field: new Field(name, type, true),
    append(index, value) {
      if (value === null || value === undefined) {
        validity.set(index, false);
        values[index] = 0;
        return undefined;
      }
      if (integer ? !isInt32(value) : typeof value !== 'number') return `expected ${integer ? 'an Int32 integer' : 'a number'}, got ${show(value)}`;
      validity.set(index, true);
      values[index] = value as number;
      return undefined;
    },
    finish: (length) => make(length, validity.props(length)),
  };
}

function int64Column(name: string, capacity: number): ColumnBuilder {
  const values = new BigInt64Array(capacity);
  const validity = new Validity(capacity);
  const type = new Int64();
  return {
    field: new Field(name, type, true),
    append(index, value) {
      if (value === null || value === undefined) {
        validity.set(index, false);
        values[index] = 0n;
        return undefined;
      }
      const big = typeof value === 'bigint' ? value : Number.isSafeInteger(value) ? BigInt(value as number) : undefined;
      if (big === undefined || BigInt.asIntN(64, big) !== big) return `expected a bigint or safe integer, got ${show(value)}`;
      validity.set(index, true);
      values[index] = big;
      return undefined;
    },
    finish: (length) => makeData({ type, length, ...validity.props(length), data: values.subarray(0, length) }),
  };
}

function utf8Column(name: string, capacity: number): ColumnBuilder {
  const offsets = new Int32Array(capacity + 1);
  let bytes = new Uint8Array(capacity * 16);
  const validity = new Validity(capacity);
  const encoder = new TextEncoder();
  const type = new Utf8();
  return {
    field: new Field(name, type, true),
    append(index, value) {
      const start = offsets[index] ?? 0;
      if (value === null || value === undefined) {
        validity.set(index, false);
        offsets[index + 1] = start;
        return undefined;
      }
      if (typeof value !== 'string') return `expected a string, got ${show(value)}`;
      bytes = grown(bytes, start + value.length * 3, (n) => new Uint8Array(n));
      const end = start + encoder.encodeInto(value, bytes.subarray(start)).written;
      if (end >= 2 ** 31) return 'batch text exceeds 2 GiB; use fewer rows per batch';
      validity.set(index, true);
      offsets[index + 1] = end;
      return undefined;
    },
    finish: (length) =>
      makeData({ type, length, ...validity.props(length), valueOffsets: offsets.subarray(0, length + 1), data: bytes.subarray(0, offsets[length]) }),
  };
}

function int32ListColumn(name: string, capacity: number): ColumnBuilder {
  const offsets = new Int32Array(capacity + 1);
  let values = new Int32Array(capacity * 16);
  const validity = new Validity(capacity);
  const type = new List(new Field('item', new Int32(), false));
  return {
    field: new Field(name, type, true),
    append(index, value) {
      const start = offsets[index] ?? 0;
      if (value === null || value === undefined) {
        validity.set(index, false);
        offsets[index + 1] = start;
        return undefined;
      }
      if (typeof value !== 'object' || typeof value.length !== 'number') return `expected an Int32Array or array of integers, got ${show(value)}`;
      if (!(value instanceof Int32Array)) {
        for (let i = 0; i < value.length; i++) if (!isInt32(value[i])) return `element ${i} is not an Int32 integer: ${String(value[i])}`;
      }
      values = grown(values, start + value.length, (n) => new Int32Array(n));
      values.set(value, start);
      validity.set(index, true);
      offsets[index + 1] = start + value.length;
      return undefined;
    },
    finish: (length) => {
      const count = offsets[length] ?? 0;
      const child = makeData({ type: new Int32(), length: count, nullCount: 0, data: values.subarray(0, count) });
      return makeData({ type, length, ...validity.props(length), valueOffsets: offsets.subarray(0, length + 1), child });
    },
  };
}

function float32ListColumn(name: string, size: number, capacity: number): ColumnBuilder {
  const values = new Float32Array(capacity * size);
  const validity = new Validity(capacity);
  const type = new FixedSizeList(size, new Field('item', new Float32(), false));
  return {
    field: new Field(name, type, true),
    append(index, value) {
      if (value === null || value === undefined) {
        validity.set(index, false);
        values.fill(0, index * size, (index + 1) * size);
        return undefined;
      }
      if (typeof value !== 'object' || value.length !== size) return `expected a Float32Array or array of ${size} numbers, got ${show(value)}`;
      validity.set(index, true);
      values.set(value, index * size);
      return undefined;
    },
    finish: (length) => {
      const child = makeData({ type: new Float32(), length: length * size, nullCount: 0, data: values.subarray(0, length * size) });
      return makeData({ type, length, ...validity.props(length), child });
    },
  };
}

function columnBuilder(name: string, spec: ArrowColumnType, capacity: number): ColumnBuilder {
  switch (spec) {
    case 'utf8':
      return utf8Column(name, capacity);
    case 'int32': {
      const values = new Int32Array(capacity);
      return numberColumn(name, new Int32(), values, capacity, (length, v) =>
        makeData({ type: new Int32(), length, ...v, data: values.subarray(0, length) }),
      );
    }
    case 'int64':
      return int64Column(name, capacity);
    case 'float32': {
      const values = new Float32Array(capacity);
      return numberColumn(name, new Float32(), values, capacity, (length, v) =>
        makeData({ type: new Float32(), length, ...v, data: values.subarray(0, length) }),
      );
    }
    case 'float64': {
      const values = new Float64Array(capacity);
      return numberColumn(name, new Float64(), values, capacity, (length, v) =>
        makeData({ type: new Float64(), length, ...v, data: values.subarray(0, length) }),
      );
    }
    case 'int32-list':
      return int32ListColumn(name, capacity);
    default:
      if (typeof spec === 'object' && spec !== null && Number.isSafeInteger(spec.float32List) && spec.float32List > 0) {
        return float32ListColumn(name, spec.float32List, capacity);
      }
      throw new ConfigError(`columns.${name}`, `unknown column type ${JSON.stringify(spec)}`);
  }
}

/**
 * Collects rows into Arrow record batches of at most `capacity` rows, column by column into
 * typed arrays that are reused from batch to batch.
 *
 * @example
 * ```ts
 * const builder = new BatchBuilder({ text: 'utf8', line: 'int32' }, 1024);
 * builder.append({ text: 'hello', line: 1 }, 0);
 * const batch = builder.finish(); // valid until the next append
 * ```
 */
export class BatchBuilder {
  /** The schema of the batches (columns in the order given). */
  readonly schema: Schema;
  private readonly columns: ColumnBuilder[];
  private readonly names: string[];
  private rows = 0;

  /**
   * @param columns - Column name → type, in schema order.
   * @param capacity - Rows per batch.
   * @param metadata - Schema metadata.
   * @throws ConfigError on an unknown column type or no columns.
   */
  constructor(columns: Readonly<Record<string, ArrowColumnType>>, readonly capacity: number, metadata: Readonly<Record<string, string>> = {}) {
    this.names = Object.keys(columns);
    if (this.names.length === 0) throw new ConfigError('columns', 'at least one column is needed');
    this.columns = this.names.map((name) => columnBuilder(name, columns[name] as ArrowColumnType, capacity));
    this.schema = new Schema(
      this.columns.map((c) => c.field),
      new Map(Object.entries(metadata)),
    );
  }

  /** Rows collected since the last {@link BatchBuilder.finish}. */
  get length(): number {
    return this.rows;
  }

  /**
   * Adds a row. The batch must not be full.
   *
   * @param row - The row.
   * @param rowNumber - The row's number in the whole output, for error messages.
   * @throws InputError `ERR_ARROW_ROW` when a value does not fit its column (the row is not added).
   */
  append(row: ArrowRow, rowNumber: number): void {
    const index = this.rows;
    for (let c = 0; c < this.columns.length; c++) {
      const name = this.names[c] as string;
      const problem = (this.columns[c] as ColumnBuilder).append(index, row[name]);
      if (problem) {
        // Earlier columns hold this row's values at `index`: not counting the row drops them.
        throw new InputError('ERR_ARROW_ROW', `row ${rowNumber}, column "${name}": ${problem}`);
      }
    }
    this.rows += 1;
  }

  /**
   * Builds the batch of the rows collected and starts a new one. The batch shares memory with
   * the builder: encode it before the next {@link BatchBuilder.append}.
   *
   * @returns The record batch.
   */
  finish(): RecordBatch {
    const length = this.rows;
    this.rows = 0;
    const children = this.columns.map((c) => c.finish(length));
    const data = makeData({ type: new Struct(this.schema.fields), length, nullCount: 0, children });
    return new RecordBatch(this.schema, data);
  }
}
