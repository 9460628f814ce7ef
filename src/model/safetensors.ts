import { InputError } from '../errors/index.js';

/** One tensor of a safetensors file. */
export interface NamedArray {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array | Int32Array;
}

/** A decoded safetensors file. */
export interface DecodedSafetensors {
  /** The `__metadata__` string map (empty when absent). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Tensors in file order. */
  readonly tensors: readonly NamedArray[];
}

const DTYPES = { F32: Float32Array, I32: Int32Array } as const;
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function fail(where: string, problem: string): InputError {
  return new InputError('ERR_CHECKPOINT_FORMAT', `${where}: ${problem}`);
}

/**
 * Encodes tensors in the safetensors layout: an unsigned 64-bit little-endian header length N,
 * N bytes of UTF-8 JSON (padded with spaces to a multiple of 8) mapping every tensor name to
 * `{ dtype: "F32" | "I32", shape, data_offsets: [begin, end] }` (offsets relative to the data
 * section) plus an optional `__metadata__` string map, then the raw little-endian data of the
 * tensors, in header order, back to back.
 *
 * @example
 * ```ts
 * const bytes = encodeSafetensors([{ name: 'w', shape: [2], data: Float32Array.of(1, 2) }], { step: '10' });
 * ```
 * @param tensors - Tensors (names unique, not `__metadata__`).
 * @param metadata - String metadata.
 * @returns The file's bytes.
 * @throws {@link InputError} `ERR_CHECKPOINT_FORMAT` for a duplicate name or a shape that does not match the data.
 */
export function encodeSafetensors(tensors: readonly NamedArray[], metadata: Readonly<Record<string, string>> = {}): Uint8Array {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header['__metadata__'] = metadata;
  let offset = 0;
  for (const t of tensors) {
    if (t.name === '__metadata__' || t.name in header) throw fail('encode', `duplicate or reserved tensor name "${t.name}"`);
    if (t.shape.reduce((a, b) => a * b, 1) !== t.data.length) throw fail('encode', `tensor "${t.name}" has ${t.data.length} values, its shape [${t.shape.join(', ')}] needs ${t.shape.reduce((a, b) => a * b, 1)}`);
    const bytes = t.data.length * 4;
    header[t.name] = { dtype: t.data instanceof Float32Array ? 'F32' : 'I32', shape: [...t.shape], data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const t of tensors) {
    const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
    if (LITTLE_ENDIAN) out.set(bytes, at);
    else {
      for (let i = 0; i < t.data.length; i++) {
        if (t.data instanceof Float32Array) view.setFloat32(at + 4 * i, t.data[i] as number, true);
        else view.setInt32(at + 4 * i, t.data[i] as number, true);
      }
    }
    at += t.data.byteLength;
  }
  return out;
}

/**
 * Decodes a safetensors file written by {@link encodeSafetensors} (F32 and I32 tensors), checking
 * every length and offset: a truncated file, a header that is not JSON, an unknown dtype, a shape
 * that does not match its byte range, or ranges that overlap, leave gaps or run past the end are
 * reported with the file's name.
 *
 * @example
 * ```ts
 * const { metadata, tensors } = decodeSafetensors(bytes, 'model.safetensors');
 * ```
 * @param bytes - The file's bytes.
 * @param where - Name for error messages.
 * @returns Metadata and tensors (copies, aligned).
 * @throws {@link InputError} `ERR_CHECKPOINT_FORMAT` describing the first problem.
 */
export function decodeSafetensors(bytes: Uint8Array, where: string): DecodedSafetensors {
  if (bytes.length < 8) throw fail(where, `truncated: ${bytes.length} bytes, the header length alone needs 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = Number(view.getBigUint64(0, true));
  if (n > bytes.length - 8) throw fail(where, `truncated: the header claims ${n} bytes, the file has ${bytes.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n)));
  } catch (cause) {
    throw new InputError('ERR_CHECKPOINT_FORMAT', `${where}: the header is not valid JSON`, undefined, { cause });
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw fail(where, 'the header is not a JSON object');
  const dataStart = 8 + n;
  const dataLength = bytes.length - dataStart;
  const entries: { name: string; dtype: keyof typeof DTYPES; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof raw !== 'object' || raw === null || Object.values(raw).some((v) => typeof v !== 'string')) throw fail(where, '__metadata__ must map strings to strings');
      metadata = raw as Record<string, string>;
      continue;
    }
    const e = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof e !== 'object' || e === null || typeof e.dtype !== 'string' || !(e.dtype in DTYPES)) throw fail(where, `tensor "${name}" has dtype ${JSON.stringify(e?.dtype)}; supported: ${Object.keys(DTYPES).join(', ')}`);
    const shape = e.shape;
    const offsets = e.data_offsets;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw fail(where, `tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((d) => Number.isSafeInteger(d) && d >= 0) || (offsets[0] as number) > (offsets[1] as number)) {
      throw fail(where, `tensor "${name}" has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    const count = (shape as number[]).reduce((a, b) => a * b, 1);
    if (end - begin !== count * 4) throw fail(where, `tensor "${name}": shape [${(shape as number[]).join(', ')}] needs ${count * 4} bytes, its range has ${end - begin}`);
    if (end > dataLength) throw fail(where, `truncated: tensor "${name}" ends at byte ${end} of the data, which has ${dataLength}`);
    entries.push({ name, dtype: e.dtype as keyof typeof DTYPES, shape: shape as number[], begin, end });
  }
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let expected = 0;
  for (const e of sorted) {
    if (e.begin !== expected) throw fail(where, `tensor "${e.name}" starts at byte ${e.begin} of the data, expected ${expected} (ranges must be contiguous, without overlaps)`);
    expected = e.end;
  }
  if (expected !== dataLength) throw fail(where, `${dataLength - expected} bytes after the last tensor`);
  const tensors = entries.map((e) => {
    const Type = DTYPES[e.dtype];
    const count = (e.end - e.begin) / 4;
    const data = new Type(count);
    if (LITTLE_ENDIAN) {
      new Uint8Array(data.buffer).set(bytes.subarray(dataStart + e.begin, dataStart + e.end));
    } else {
      for (let i = 0; i < count; i++) data[i] = e.dtype === 'F32' ? view.getFloat32(dataStart + e.begin + 4 * i, true) : view.getInt32(dataStart + e.begin + 4 * i, true);
    }
    return { name: e.name, shape: e.shape, data };
  });
  return { metadata, tensors };
}
