// apache-arrow exports no public API to read or write the footer of an IPC file without
// handing it the whole file: this module is the one place that reaches into its internal
// `ipc/metadata/file` module (checked against apache-arrow 21; the tests pin its behaviour).
import { MetadataVersion } from 'apache-arrow';
import type { Schema } from 'apache-arrow';
import { FileBlock, Footer } from 'apache-arrow/ipc/metadata/file';

/** Where one message of an IPC file lies, as the footer records it. */
export interface IpcBlock {
  /** Byte offset of the message. */
  readonly offset: number;
  /** Length of framing + metadata + padding (what precedes the body). */
  readonly metadataLength: number;
  readonly bodyLength: number;
}

/** The decoded footer of an IPC file. */
export interface IpcFooter {
  readonly schema: Schema;
  readonly recordBatches: number;
  /** Block of record batch `index` (0-based). */
  recordBatch(index: number): IpcBlock | undefined;
  /** Blocks of all dictionary batches. */
  dictionaries(): IpcBlock[];
}

function toBlock(block: FileBlock | null): IpcBlock | undefined {
  return block ? { offset: block.offset, metadataLength: block.metaDataLength, bodyLength: block.bodyLength } : undefined;
}

/**
 * Decodes the footer flatbuffer of an IPC file.
 *
 * @example
 * ```ts
 * const footer = decodeIpcFooter(bytes);
 * footer.recordBatch(0)?.offset;
 * ```
 * @param bytes - The footer bytes (between the end-of-stream marker and the footer length).
 * @returns The schema and the record batch blocks.
 * @throws Error when the bytes are not a footer.
 */
export function decodeIpcFooter(bytes: Uint8Array): IpcFooter {
  const footer = Footer.decode(bytes);
  const schema = footer.schema;
  if (!schema || !Array.isArray(schema.fields)) throw new Error('footer has no schema');
  return {
    schema,
    recordBatches: footer.numRecordBatches,
    recordBatch: (index) => toBlock(footer.getRecordBatch(index)),
    dictionaries: () => [...footer.dictionaryBatches()].map((b) => toBlock(b)).filter((b) => b !== undefined),
  };
}

/**
 * Encodes the footer of an IPC file that holds the given record batch blocks (no dictionaries).
 *
 * @example
 * ```ts
 * const footer = encodeIpcFooter(schema, [{ offset: 8 + schemaBytes, metadataLength: 200, bodyLength: 4096 }]);
 * ```
 * @param schema - The file's schema.
 * @param blocks - One block per record batch, in order.
 * @returns The footer flatbuffer bytes.
 */
export function encodeIpcFooter(schema: Schema, blocks: readonly IpcBlock[]): Uint8Array {
  const fileBlocks = blocks.map((b) => new FileBlock(b.metadataLength, b.bodyLength, b.offset));
  return Footer.encode(new Footer(schema, MetadataVersion.V5, fileBlocks, []));
}
