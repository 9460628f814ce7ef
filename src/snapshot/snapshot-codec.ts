import { createHash } from 'node:crypto';
import { endianness } from 'node:os';
import {
  Binary,
  Field,
  Int32,
  List,
  RecordBatch,
  Schema,
  Struct,
  Table,
  Utf8,
  makeData,
  makeVector,
  tableFromIPC,
  tableToIPC,
  vectorFromArray,
} from 'apache-arrow';
import { SnapshotError } from '../errors/snapshot-error.js';
import { configFingerprint } from '../memory/config-fingerprint.js';
import type { MemoryState, StateArray } from '../memory/memory-state.js';
import type { TitansStreamConfig } from '../model/titans-stream-config.js';
import type { MemorySnapshot, SnapshotCoverage } from './memory-snapshot.js';

/** Identifies titans-stream snapshots in the Arrow schema metadata. */
export const SNAPSHOT_FORMAT = 'titans-stream.snapshot';
/** The snapshot format version this code writes and reads. */
export const SNAPSHOT_VERSION = 1;

const META = {
  format: 'titans.format',
  version: 'titans.version',
  key: 'titans.key',
  createdAt: 'titans.created_at',
  stateKind: 'titans.state.kind',
  stateVersion: 'titans.state.version',
  config: 'titans.config',
  fingerprint: 'titans.fingerprint',
  tokensSeen: 'titans.tokens_seen',
  chunksApplied: 'titans.chunks_applied',
  covers: 'titans.covers',
  extra: 'titans.extra',
  checksum: 'titans.checksum',
} as const;

const SHAPE_TYPE = new List(new Field('item', new Int32(), false));
const SCHEMA_FIELDS = [
  new Field('name', new Utf8(), false),
  new Field('dtype', new Utf8(), false),
  new Field('shape', SHAPE_TYPE, false),
  new Field('checksum', new Utf8(), false),
  new Field('data', new Binary(), false),
];

/** A tensor's entry in {@link SnapshotSummary}. */
export interface SnapshotTensorSummary {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
  readonly bytes: number;
  /** SHA-256 of the tensor's little-endian bytes (hex). */
  readonly checksum: string;
}

/** What `titans-stream snapshot inspect` prints: everything but the tensor values. */
export interface SnapshotSummary {
  readonly format: string;
  readonly version: number;
  readonly key: string;
  readonly createdAt: string;
  readonly kind: MemoryState['kind'];
  readonly fingerprint: string;
  readonly config: MemoryState['config'];
  readonly tokensSeen: number;
  readonly chunksApplied: number;
  readonly covers: SnapshotCoverage | null;
  /** Data that travels with the memory (see {@link MemorySnapshot.extra}). */
  readonly extra: Readonly<Record<string, unknown>> | null;
  /** SHA-256 over metadata and tensors (hex). */
  readonly checksum: string;
  readonly tensors: readonly SnapshotTensorSummary[];
}

function assertLittleEndian(): void {
  if (endianness() !== 'LE') throw new SnapshotError('ERR_SNAPSHOT_CORRUPT', 'snapshots are little-endian; this platform is big-endian');
}

function bytesOf(array: StateArray['data']): Uint8Array {
  return new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
}

function sha256(...parts: (string | Uint8Array)[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest('hex');
}

/** The checksum covers every metadata entry but itself, then each tensor's header and bytes. */
function snapshotChecksum(metadata: ReadonlyMap<string, string>, tensors: readonly { name: string; dtype: string; shape: readonly number[]; checksum: string }[]): string {
  const entries = [...metadata].filter(([k]) => k !== META.checksum).sort(([a], [b]) => (a < b ? -1 : 1));
  return sha256(JSON.stringify(entries), JSON.stringify(tensors.map((t) => [t.name, t.dtype, t.shape, t.checksum])));
}

/**
 * Encodes a memory snapshot as one Arrow IPC stream holding one record batch: one row per
 * tensor (`name`, `dtype`, `shape`, per-tensor `checksum`, raw little-endian `data`), with the
 * key, configuration, counters, covered input positions, format version and an overall SHA-256
 * checksum in the schema metadata.
 *
 * @example
 * ```ts
 * const bytes = encodeSnapshot({ key: 'events-0', state: await memory.exportState(), covers, createdAt: new Date().toISOString() });
 * await store.put('events-0', bytes);
 * ```
 * @param snapshot - the snapshot to encode.
 * @returns the Arrow IPC stream bytes.
 */
export function encodeSnapshot(snapshot: MemorySnapshot): Uint8Array {
  assertLittleEndian();
  const { state } = snapshot;
  const tensors = state.arrays.map((a) => ({ name: a.name, dtype: a.dtype, shape: [...a.shape], checksum: sha256(bytesOf(a.data)), bytes: bytesOf(a.data) }));
  const metadata = new Map<string, string>([
    [META.format, SNAPSHOT_FORMAT],
    [META.version, String(SNAPSHOT_VERSION)],
    [META.key, snapshot.key],
    [META.createdAt, snapshot.createdAt],
    [META.stateKind, state.kind],
    [META.stateVersion, String(state.version)],
    [META.config, JSON.stringify(state.config)],
    [META.fingerprint, state.fingerprint],
    [META.tokensSeen, String(state.tokensSeen)],
    [META.chunksApplied, String(state.chunksApplied)],
    [META.covers, JSON.stringify(snapshot.covers ?? null)],
    [META.extra, JSON.stringify(snapshot.extra ?? null)],
  ]);
  metadata.set(META.checksum, snapshotChecksum(metadata, tensors));

  const offsets = new Int32Array(tensors.length + 1);
  tensors.forEach((t, i) => (offsets[i + 1] = (offsets[i] ?? 0) + t.bytes.byteLength));
  const values = new Uint8Array(offsets[tensors.length] ?? 0);
  tensors.forEach((t, i) => values.set(t.bytes, offsets[i]));
  const columns = [
    vectorFromArray(tensors.map((t) => t.name), new Utf8()),
    vectorFromArray(tensors.map((t) => t.dtype), new Utf8()),
    vectorFromArray(tensors.map((t) => t.shape), SHAPE_TYPE),
    vectorFromArray(tensors.map((t) => t.checksum), new Utf8()),
    makeVector(makeData({ type: new Binary(), length: tensors.length, nullCount: 0, valueOffsets: offsets, data: values })),
  ];
  const schema = new Schema(SCHEMA_FIELDS, metadata);
  const children = columns.map((c) => {
    const data = c.data[0];
    if (data === undefined) throw new Error('unreachable: an empty column vector');
    return data;
  });
  const batch = new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: tensors.length, nullCount: 0, children }));
  return tableToIPC(new Table([batch]), 'stream');
}

interface DecodedTable {
  readonly metadata: ReadonlyMap<string, string>;
  readonly tensors: (SnapshotTensorSummary & { readonly data: Uint8Array })[];
}

function corrupt(problem: string, cause?: unknown): SnapshotError {
  return new SnapshotError('ERR_SNAPSHOT_CORRUPT', `corrupt snapshot: ${problem}`, cause === undefined ? {} : { cause });
}

function readTable(bytes: Uint8Array): DecodedTable {
  let table: Table;
  try {
    table = tableFromIPC(bytes);
  } catch (cause) {
    throw corrupt(`not a readable Arrow IPC stream (${String(cause)})`, cause);
  }
  const metadata = table.schema.metadata;
  const format = metadata.get(META.format);
  if (format !== SNAPSHOT_FORMAT) throw corrupt(`schema metadata ${META.format} is ${JSON.stringify(format ?? null)}, expected "${SNAPSHOT_FORMAT}"`);
  const version = metadata.get(META.version);
  if (version !== String(SNAPSHOT_VERSION)) {
    throw new SnapshotError('ERR_SNAPSHOT_VERSION', `snapshot format version ${version ?? '(none)'} is not supported (this build reads version ${SNAPSHOT_VERSION})`);
  }
  const missing = SCHEMA_FIELDS.map((f) => f.name).filter((n) => table.getChild(n) === null);
  if (missing.length > 0) throw corrupt(`missing columns ${missing.join(', ')}`);
  const tensors: DecodedTable['tensors'] = [];
  for (let i = 0; i < table.numRows; i++) {
    const name = table.getChild('name')?.get(i) as string | null;
    const dtype = table.getChild('dtype')?.get(i) as string | null;
    const shape = table.getChild('shape')?.get(i) as Iterable<number> | null;
    const checksum = table.getChild('checksum')?.get(i) as string | null;
    const data = table.getChild('data')?.get(i) as Uint8Array | null;
    if (name === null || dtype === null || shape === null || checksum === null || data === null) throw corrupt(`row ${i} has a null cell`);
    tensors.push({ name, dtype, shape: [...shape], checksum, bytes: data.byteLength, data });
  }
  return { metadata, tensors };
}

/** Memory state version read and written per state kind. */
const STATE_VERSIONS: Readonly<Record<MemoryState['kind'], number>> = { 'neural-memory': 1, 'token-memory': 1, 'titans-stream': 1 };

/** What every `titans-stream` state has: a model configuration, a weights fingerprint, pending tokens. */
function checkTitansStream(config: TitansStreamConfig, tensors: DecodedTable['tensors']): void {
  const model = config.model as Partial<TitansStreamConfig['model']> | null;
  if (typeof model !== 'object' || model === null || model.kind !== 'titans-model' || typeof model.arch !== 'string') {
    throw corrupt(`titans-stream config.model is not a resolved Titans model configuration`);
  }
  if (typeof config.weights !== 'string' || !/^[0-9a-f]{16}$/.test(config.weights)) throw corrupt(`titans-stream config.weights is not a weights fingerprint: ${JSON.stringify(config.weights ?? null)}`);
  const pending = tensors.find((t) => t.name === 'pending');
  if (pending === undefined || pending.dtype !== 'int32' || pending.shape.length !== 1) throw corrupt('titans-stream state has no int32 [n] tensor "pending"');
  const wrong = tensors.find((t) => t.name !== 'pending' && t.dtype !== 'float32');
  if (wrong !== undefined) throw corrupt(`titans-stream tensor ${wrong.name} is ${wrong.dtype}, expected float32`);
}

/** The first thing that makes a snapshot unfit for a memory of `expected` config, in words, if it is the kind or the model. */
function unfitReason(found: MemoryState['config'], expected: MemoryState['config']): string | undefined {
  if (found.kind !== expected.kind) return `it holds a ${found.kind} state, this layer restores ${expected.kind} states`;
  if (found.kind !== 'titans-stream' || expected.kind !== 'titans-stream') return undefined;
  if (found.weights === expected.weights) return undefined;
  return `it was taken with another model (${found.model.arch}, weights ${found.weights}); this model is ${expected.model.arch} with weights ${expected.weights}. Restore into the model that wrote it, or start without the snapshot`;
}

function numberMeta(metadata: ReadonlyMap<string, string>, key: string): number {
  const value = Number(metadata.get(key));
  if (!Number.isSafeInteger(value) || value < 0) throw corrupt(`metadata ${key} is not a count: ${JSON.stringify(metadata.get(key) ?? null)}`);
  return value;
}

function jsonMeta<T>(metadata: ReadonlyMap<string, string>, key: string): T {
  try {
    return JSON.parse(metadata.get(key) ?? '') as T;
  } catch (cause) {
    throw corrupt(`metadata ${key} is not JSON`, cause);
  }
}

function summarize(decoded: DecodedTable): SnapshotSummary {
  const { metadata } = decoded;
  const kind = metadata.get(META.stateKind);
  if (kind !== 'neural-memory' && kind !== 'token-memory' && kind !== 'titans-stream') throw corrupt(`unknown state kind ${JSON.stringify(kind ?? null)}`);
  const stateVersion = metadata.get(META.stateVersion);
  if (stateVersion !== String(STATE_VERSIONS[kind])) {
    throw new SnapshotError('ERR_SNAPSHOT_VERSION', `${kind} state version ${stateVersion ?? '(none)'} is not supported (this build reads version ${STATE_VERSIONS[kind]})`);
  }
  const config = jsonMeta<MemoryState['config']>(metadata, META.config);
  if (typeof config !== 'object' || config === null || config.kind !== kind) throw corrupt(`metadata ${META.config} is not a ${kind} configuration`);
  if (kind === 'titans-stream') checkTitansStream(config as TitansStreamConfig, decoded.tensors);
  return {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    key: metadata.get(META.key) ?? '',
    createdAt: metadata.get(META.createdAt) ?? '',
    kind,
    fingerprint: metadata.get(META.fingerprint) ?? '',
    config,
    tokensSeen: numberMeta(metadata, META.tokensSeen),
    chunksApplied: numberMeta(metadata, META.chunksApplied),
    covers: jsonMeta<SnapshotCoverage | null>(metadata, META.covers),
    extra: metadata.has(META.extra) ? jsonMeta<Record<string, unknown> | null>(metadata, META.extra) : null,
    checksum: metadata.get(META.checksum) ?? '',
    tensors: decoded.tensors.map(({ name, dtype, shape, bytes, checksum }) => ({ name, dtype, shape, bytes, checksum })),
  };
}

/**
 * Reads a snapshot's metadata and per-tensor shapes and checksums without checking or copying
 * the tensor values (what `snapshot inspect` shows).
 *
 * @param bytes - bytes written by {@link encodeSnapshot}.
 * @returns the summary.
 * @throws {@link SnapshotError} when the bytes are not a snapshot or its version is unknown.
 */
export function inspectSnapshot(bytes: Uint8Array): SnapshotSummary {
  return summarize(readTable(bytes));
}

/** What a restored snapshot must match. */
export interface SnapshotExpectation {
  /** The configuration of the memory it will be imported into. */
  readonly config: MemoryState['config'];
  /** Its key, if the snapshot must belong to it. */
  readonly key?: string;
}

function configMismatches(found: unknown, expected: unknown, path = 'config'): string[] {
  if (typeof found === 'object' && found !== null && typeof expected === 'object' && expected !== null && !Array.isArray(found) && !Array.isArray(expected)) {
    const keys = new Set([...Object.keys(found), ...Object.keys(expected)]);
    return [...keys].sort().flatMap((k) => configMismatches((found as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${path}.${k}`));
  }
  const a = JSON.stringify(found ?? null);
  const b = JSON.stringify(expected ?? null);
  return a === b ? [] : [`${path}: snapshot has ${a}, memory has ${b}`];
}

/**
 * Decodes and verifies a snapshot: format version, overall and per-tensor checksums, dtypes,
 * shapes, and — when `expect` is given — that its configuration (and key) match the memory it is
 * about to be imported into.
 *
 * @example
 * ```ts
 * const snapshot = decodeSnapshot(bytes, { config: memory.config, key: 'events-0' });
 * memory.importState(snapshot.state);
 * ```
 * @param bytes - bytes written by {@link encodeSnapshot}.
 * @param expect - what the snapshot must match.
 * @returns the snapshot, with tensor data copied into fresh typed arrays.
 * @throws {@link SnapshotError} `ERR_SNAPSHOT_CORRUPT` (unreadable, checksum or shape mismatch),
 *   `ERR_SNAPSHOT_VERSION`, or `ERR_SNAPSHOT_CONFIG` listing each differing config field.
 */
export function decodeSnapshot(bytes: Uint8Array, expect?: SnapshotExpectation): MemorySnapshot {
  assertLittleEndian();
  const decoded = readTable(bytes);
  const summary = summarize(decoded);
  const expectedChecksum = snapshotChecksum(decoded.metadata, decoded.tensors);
  if (summary.checksum !== expectedChecksum) throw corrupt(`checksum mismatch (stored ${summary.checksum.slice(0, 16)}…, computed ${expectedChecksum.slice(0, 16)}…)`);
  const arrays: StateArray[] = decoded.tensors.map((t) => {
    if (sha256(t.data) !== t.checksum) throw corrupt(`tensor ${t.name}: data does not match its checksum`);
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (t.dtype !== 'float32' && t.dtype !== 'int32') throw corrupt(`tensor ${t.name}: unknown dtype ${t.dtype}`);
    if (t.data.byteLength !== count * 4) throw corrupt(`tensor ${t.name}: ${t.data.byteLength} bytes for shape [${t.shape.join(', ')}]`);
    const copy = t.data.slice();
    const data = t.dtype === 'float32' ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
    return { name: t.name, shape: t.shape, dtype: t.dtype, data };
  });
  if (configFingerprint(summary.config) !== summary.fingerprint) throw corrupt('config does not match its fingerprint');
  if (expect !== undefined) {
    const unfit = unfitReason(summary.config, expect.config);
    if (unfit !== undefined) throw new SnapshotError('ERR_SNAPSHOT_CONFIG', `snapshot of key ${JSON.stringify(summary.key)} does not fit: ${unfit}`, { mismatches: configMismatches(summary.config, expect.config) });
    const mismatches = configMismatches(summary.config, expect.config);
    if (expect.key !== undefined && expect.key !== summary.key) mismatches.unshift(`key: snapshot has ${JSON.stringify(summary.key)}, expected ${JSON.stringify(expect.key)}`);
    if (mismatches.length > 0) {
      throw new SnapshotError('ERR_SNAPSHOT_CONFIG', `snapshot does not fit this memory: ${mismatches.join('; ')}`, { mismatches });
    }
  }
  const state: MemoryState = {
    format: 'titans-stream.memory-state',
    version: 1,
    kind: summary.kind,
    config: summary.config,
    fingerprint: summary.fingerprint,
    tokensSeen: summary.tokensSeen,
    chunksApplied: summary.chunksApplied,
    arrays,
  };
  return {
    key: summary.key,
    state,
    ...(summary.covers === null ? {} : { covers: summary.covers }),
    createdAt: summary.createdAt,
    ...(summary.extra === null ? {} : { extra: summary.extra }),
  };
}
