import { createHash } from 'node:crypto';
import type { KafkaMessage, KafkaRecord } from './client.js';

/** Headers of a snapshot part message on the snapshot topic. */
export const SNAPSHOT_PART_HEADERS = {
  /** The store key the snapshot belongs to (e.g. `group/topic/partition`). */
  key: 'titans.snapshot.key',
  /** Unique id of one saved snapshot: all its parts carry it. */
  id: 'titans.snapshot.id',
  /** Which of the key's slots it was written to (see {@link KafkaSnapshotStore}). */
  slot: 'titans.snapshot.slot',
  /** 0-based index of the part. */
  part: 'titans.snapshot.part',
  /** Number of parts of the snapshot. */
  parts: 'titans.snapshot.parts',
  /** SHA-256 (hex) of the whole encoded snapshot. */
  sha256: 'titans.snapshot.sha256',
  /** Length of the whole encoded snapshot in bytes. */
  bytes: 'titans.snapshot.bytes',
} as const;

/** One part of an encoded snapshot, as stored in one Kafka message. */
export interface SnapshotPart {
  readonly storeKey: string;
  readonly id: string;
  readonly slot: number;
  readonly index: number;
  readonly count: number;
  readonly sha256: string;
  readonly totalBytes: number;
  readonly data: Uint8Array;
}

/** What {@link splitSnapshot} needs besides the bytes. */
export interface SplitOptions {
  readonly storeKey: string;
  readonly id: string;
  readonly slot: number;
  /** Largest part, in bytes. */
  readonly partBytes: number;
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Splits an encoded snapshot into parts of at most `partBytes` bytes (at least one part), each
 * carrying the snapshot's id, slot, part index and count, and the SHA-256 of the whole.
 *
 * @example
 * ```ts
 * const parts = splitSnapshot(encodeSnapshot(snapshot), { storeKey: 'g/logs/0', id: randomUUID(), slot: 1, partBytes: 512 * 1024 });
 * ```
 * @param bytes - the encoded snapshot.
 * @param options - store key, snapshot id, slot, part size.
 * @returns the parts in order (views into `bytes`, not copies).
 */
export function splitSnapshot(bytes: Uint8Array, options: SplitOptions): SnapshotPart[] {
  const count = Math.max(1, Math.ceil(bytes.byteLength / options.partBytes));
  const sha256 = sha256Hex(bytes);
  return Array.from({ length: count }, (_, index) => ({
    storeKey: options.storeKey,
    id: options.id,
    slot: options.slot,
    index,
    count,
    sha256,
    totalBytes: bytes.byteLength,
    data: bytes.subarray(index * options.partBytes, Math.min(bytes.byteLength, (index + 1) * options.partBytes)),
  }));
}

/**
 * The Kafka message key of a part: one per (store key, slot, part index), so that compaction
 * keeps the latest write of every part of every slot. The key ends in `@<slot>/<part>`: distinct
 * triples never share a key.
 */
export function partMessageKey(storeKey: string, slot: number, index: number): string {
  return `${storeKey}@${slot}/${index}`;
}

/**
 * The message that stores `part`.
 *
 * @param part - the part.
 * @param partition - the snapshot topic partition of its store key.
 * @returns the message: key from {@link partMessageKey}, the part's bytes, the part headers.
 */
export function partMessage(part: SnapshotPart, partition: number): KafkaMessage {
  return {
    key: partMessageKey(part.storeKey, part.slot, part.index),
    value: part.data,
    partition,
    headers: {
      [SNAPSHOT_PART_HEADERS.key]: part.storeKey,
      [SNAPSHOT_PART_HEADERS.id]: part.id,
      [SNAPSHOT_PART_HEADERS.slot]: String(part.slot),
      [SNAPSHOT_PART_HEADERS.part]: String(part.index),
      [SNAPSHOT_PART_HEADERS.parts]: String(part.count),
      [SNAPSHOT_PART_HEADERS.sha256]: part.sha256,
      [SNAPSHOT_PART_HEADERS.bytes]: String(part.totalBytes),
    },
  };
}

const decoder = new TextDecoder();

function header(record: KafkaRecord, name: string): string | undefined {
  const value = record.headers[name];
  if (value === undefined) return undefined;
  const last = Array.isArray(value) ? value[value.length - 1] : value;
  return last === undefined ? undefined : decoder.decode(last as Uint8Array);
}

function count(value: string | undefined): number | undefined {
  if (value === undefined || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Reads a consumed snapshot-topic record back into a part.
 *
 * @param record - a record of the snapshot topic.
 * @returns the part, or `undefined` when the record is not a well-formed part (a tombstone, a
 *   foreign message, damaged headers): such a record never completes a snapshot.
 */
export function readPart(record: KafkaRecord): SnapshotPart | undefined {
  const storeKey = header(record, SNAPSHOT_PART_HEADERS.key);
  const id = header(record, SNAPSHOT_PART_HEADERS.id);
  const sha256 = header(record, SNAPSHOT_PART_HEADERS.sha256);
  const slot = count(header(record, SNAPSHOT_PART_HEADERS.slot));
  const index = count(header(record, SNAPSHOT_PART_HEADERS.part));
  const parts = count(header(record, SNAPSHOT_PART_HEADERS.parts));
  const totalBytes = count(header(record, SNAPSHOT_PART_HEADERS.bytes));
  if (storeKey === undefined || id === undefined || sha256 === undefined || record.value === null) return undefined;
  if (slot === undefined || index === undefined || parts === undefined || totalBytes === undefined || index >= parts) return undefined;
  return { storeKey, id, slot, index, count: parts, sha256, totalBytes, data: record.value };
}

/**
 * Puts a snapshot back together from its parts and checks it.
 *
 * @param parts - parts of one snapshot id, any order.
 * @returns the encoded snapshot, or a description of what is missing or wrong.
 */
export function assembleSnapshot(parts: readonly SnapshotPart[]): Uint8Array | string {
  const first = parts[0];
  if (first === undefined) return 'no parts';
  const byIndex = new Map<number, SnapshotPart>();
  for (const part of parts) {
    if (part.id !== first.id || part.count !== first.count || part.sha256 !== first.sha256 || part.totalBytes !== first.totalBytes) {
      return `parts of snapshot ${first.id} disagree about its id, part count, size or checksum`;
    }
    byIndex.set(part.index, part);
  }
  const missing = Array.from({ length: first.count }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length > 0) return `snapshot ${first.id} is incomplete: part(s) ${missing.join(', ')} of ${first.count} missing`;
  const bytes = new Uint8Array(first.totalBytes);
  let at = 0;
  for (let i = 0; i < first.count; i++) {
    const data = (byIndex.get(i) as SnapshotPart).data;
    if (at + data.byteLength > bytes.byteLength) return `snapshot ${first.id}: parts hold more than the ${first.totalBytes} bytes announced`;
    bytes.set(data, at);
    at += data.byteLength;
  }
  if (at !== first.totalBytes) return `snapshot ${first.id}: parts hold ${at} bytes, ${first.totalBytes} announced`;
  const actual = sha256Hex(bytes);
  if (actual !== first.sha256) return `snapshot ${first.id}: SHA-256 mismatch (announced ${first.sha256.slice(0, 16)}…, got ${actual.slice(0, 16)}…)`;
  return bytes;
}
