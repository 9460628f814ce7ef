/** A line (or delimited record) of a text file or stdin. `byteOffset` is where the record starts. */
export interface TextPosition {
  readonly kind: 'text';
  readonly file: string;
  /** 1-based line (record) number. */
  readonly line: number;
  /** Byte offset of the record's first byte in the file. */
  readonly byteOffset: number;
}

/** A row of an Arrow IPC stream or file. */
export interface ArrowPosition {
  readonly kind: 'arrow';
  readonly file: string;
  /** 0-based record batch index. */
  readonly batch: number;
  /** 0-based row inside the batch. */
  readonly row: number;
}

/** A Kafka record. Offsets are decimal strings, as Kafka clients give them. */
export interface KafkaPosition {
  readonly kind: 'kafka';
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** A record from an in-process generator or any other sequential stream. */
export interface StreamPosition {
  readonly kind: 'stream';
  readonly stream: string;
  /** 0-based index of the record in its stream. */
  readonly index: number;
}

/** Where a record came from: enough to find it again and to resume after it. */
export type SourcePosition = TextPosition | ArrowPosition | KafkaPosition | StreamPosition;

/**
 * Human-readable form of a position, for error messages and logs.
 *
 * @example
 * ```ts
 * formatPosition({ kind: 'text', file: 'app.log', line: 3, byteOffset: 120 }) // "app.log:3 (byte 120)"
 * ```
 */
export function formatPosition(position: SourcePosition): string {
  switch (position.kind) {
    case 'text':
      return `${position.file}:${position.line} (byte ${position.byteOffset})`;
    case 'arrow':
      return `${position.file} batch ${position.batch} row ${position.row}`;
    case 'kafka':
      return `${position.topic}[${position.partition}]@${position.offset}`;
    case 'stream':
      return `${position.stream}#${position.index}`;
  }
}

/**
 * The default state key of a position: the stream it belongs to (a file, a Kafka topic-partition,
 * a named stream). One memory is kept per stream key unless a key function says otherwise.
 */
export function streamKeyOf(position: SourcePosition): string {
  switch (position.kind) {
    case 'text':
    case 'arrow':
      return position.file;
    case 'kafka':
      return `${position.topic}-${position.partition}`;
    case 'stream':
      return position.stream;
  }
}
