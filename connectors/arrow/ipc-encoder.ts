import { AsyncByteQueue, RecordBatchStreamWriter } from 'apache-arrow';
import type { RecordBatch, Schema } from 'apache-arrow';

/**
 * The byte sink handed to apache-arrow's writer: it keeps what the writer emits synchronously
 * so each encoded message can be taken out right after `write()`. (The writer's own queue has
 * no backpressure and no way to tell where one batch ends.)
 */
class MessageCollector extends AsyncByteQueue {
  private chunks: Uint8Array[] = [];

  override write(value: ArrayBufferView | ArrayBufferLike): void {
    const bytes = ArrayBuffer.isView(value)
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : new Uint8Array(value);
    if (bytes.byteLength > 0) this.chunks.push(bytes);
  }

  /** Everything written since the last call, copied into one buffer. */
  take(): Uint8Array {
    let length = 0;
    for (const chunk of this.chunks) length += chunk.byteLength;
    const out = new Uint8Array(length);
    let at = 0;
    for (const chunk of this.chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    this.chunks = [];
    return out;
  }
}

/**
 * Encodes a schema and record batches as Arrow IPC stream messages, one buffer per message,
 * using apache-arrow's stream writer. The buffers own their memory (the batch can be reused).
 *
 * @example
 * ```ts
 * const encoder = new IpcEncoder(schema);
 * await handle.write(encoder.schemaMessage);
 * await handle.write(encoder.encode(batch));
 * ```
 */
export class IpcEncoder {
  /** The encoded schema message (framing, metadata, padding). */
  readonly schemaMessage: Uint8Array;
  private readonly collector = new MessageCollector();
  private readonly writer = new RecordBatchStreamWriter();

  /** @param schema - The schema every batch must have. */
  constructor(schema: Schema) {
    this.writer.reset(this.collector, schema);
    this.schemaMessage = this.collector.take();
  }

  /**
   * Encodes one record batch message.
   *
   * @param batch - A batch with the encoder's schema.
   * @returns The message bytes: framing, metadata and body.
   */
  encode(batch: RecordBatch): Uint8Array {
    this.writer.write(batch);
    return this.collector.take();
  }
}
