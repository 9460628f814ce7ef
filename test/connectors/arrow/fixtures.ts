// Test helpers: Arrow inputs written with apache-arrow itself, temp dirs, open-file checks.
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Field, Int32, List, Message, RecordBatch, RecordBatchFileWriter, RecordBatchStreamWriter, Schema, Struct, Utf8, makeData, vectorFromArray } from 'apache-arrow';
import type { Data, DataType } from 'apache-arrow';
import type { SourceRecord } from '../../../src/records/index.js';

/** A fresh temp directory and a way to remove it. */
export async function tempDir(prefix: string): Promise<{ dir: string; file: (name: string) => string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, file: (name) => path.join(dir, name), remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A record batch from named columns (each a Data of the same length). */
export function batchOf(columns: Record<string, Data>): RecordBatch {
  const fields = Object.entries(columns).map(([name, data]) => new Field(name, data.type as DataType, true));
  const children = Object.values(columns);
  const length = children[0]?.length ?? 0;
  return new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length, nullCount: 0, children }));
}

/** Data of a column built by apache-arrow from JS values. */
export function column<T extends DataType>(values: unknown[], type: T): Data<T> {
  const data = vectorFromArray(values, type).data;
  if (data.length !== 1) throw new Error('expected one chunk');
  return data[0] as Data<T>;
}

export function int32Lists(values: (number[] | null)[]): Data {
  return column(values, new List(new Field('item', new Int32(), true)));
}

export function texts(values: (string | null)[]): Data {
  return column(values, new Utf8());
}

/** Writes batches as an IPC stream (`stream`) or file (`file`) with apache-arrow's writers. */
export async function writeArrowFixture(file: string, batches: RecordBatch[], format: 'stream' | 'file'): Promise<Uint8Array> {
  const writer = format === 'stream' ? new RecordBatchStreamWriter() : new RecordBatchFileWriter();
  const bytes = writer.writeAll(batches).toUint8Array(true);
  await writeFile(file, bytes);
  return bytes;
}

/** Reads a whole async iterable. */
export async function collect<T>(source: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of source) out.push(item);
  return out;
}

/** A compact view of records: `batch:row` and the tokens or text. */
export function summary(records: readonly SourceRecord[]): [string, number[] | string][] {
  return records.map((r) => {
    const at = r.position.kind === 'arrow' ? `${r.position.batch}:${r.position.row}` : '?';
    return [at, r.tokens ? [...r.tokens] : (r.value as string)];
  });
}

/** Whether this process has `file` open (Linux /proc). */
export async function isOpen(file: string): Promise<boolean> {
  const target = path.resolve(file);
  for (const fd of await readdir('/proc/self/fd')) {
    try {
      if ((await readlink(`/proc/self/fd/${fd}`)) === target) return true;
    } catch {
      // fd closed while listing
    }
  }
  return false;
}

/** One IPC message found in stream bytes. */
export interface MessageRange {
  readonly type: 'schema' | 'batch' | 'dictionary';
  /** Start of the framing. */
  readonly offset: number;
  readonly bodyOffset: number;
  /** End of the body. */
  readonly end: number;
}

/** The IPC messages in stream bytes from `start`, up to the end-of-stream marker. */
export function messageRanges(bytes: Uint8Array, start = 0): MessageRange[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: MessageRange[] = [];
  let offset = start;
  while (offset + 8 <= bytes.byteLength && view.getInt32(offset, true) === -1) {
    const metadataLength = view.getInt32(offset + 4, true);
    if (metadataLength === 0) break;
    const message = Message.decode(bytes.subarray(offset + 8, offset + 8 + metadataLength));
    const bodyOffset = offset + 8 + metadataLength;
    const type = message.isSchema() ? 'schema' : message.isRecordBatch() ? 'batch' : 'dictionary';
    out.push({ type, offset, bodyOffset, end: bodyOffset + message.bodyLength });
    offset = bodyOffset + message.bodyLength;
  }
  return out;
}
