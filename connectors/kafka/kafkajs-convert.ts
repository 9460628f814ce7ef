import type { Batch, IHeaders, KafkaMessage as KafkaJsMessage, Message } from 'kafkajs';
import type { KafkaBatch, KafkaMessage, KafkaMessageHeaders, KafkaRecord, KafkaRecordHeaders, KafkaTopicPartition } from './client.js';

/** Drops the keys whose value is `undefined` (kafkajs options are optional, not `undefined`-able). */
export function definedOnly<T extends Record<string, unknown>>(object: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}

/** Views bytes as a Buffer without copying (kafkajs wants Buffers). */
function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function toPayload(data: Uint8Array | string): Buffer | string {
  return typeof data === 'string' ? data : toBuffer(data);
}

function toKafkaJsHeaders(headers: KafkaMessageHeaders): IHeaders {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name, toPayload(value)]));
}

/** A message of the client interface as kafkajs expects it. */
export function toKafkaJsMessage(message: KafkaMessage): Message {
  const converted: Message = { value: message.value === null ? null : toPayload(message.value) };
  if (message.key !== undefined) converted.key = message.key === null ? null : toPayload(message.key);
  if (message.partition !== undefined) converted.partition = message.partition;
  if (message.headers !== undefined) converted.headers = toKafkaJsHeaders(message.headers);
  if (message.timestamp !== undefined) converted.timestamp = String(message.timestamp);
  return converted;
}

/** Consumed header values are Buffers already; a string (never seen from a broker) is encoded. */
function headerBytes(value: Buffer | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value) : value;
}

function fromKafkaJsHeaders(headers: IHeaders | undefined): KafkaRecordHeaders {
  const converted: Record<string, Uint8Array | Uint8Array[]> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    converted[name] = Array.isArray(value) ? value.map(headerBytes) : headerBytes(value);
  }
  return converted;
}

/** A consumed kafkajs message as a plain record (bytes are not copied). */
export function fromKafkaJsMessage(topic: string, partition: number, message: KafkaJsMessage): KafkaRecord {
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers: fromKafkaJsHeaders(message.headers),
  };
}

/** A kafkajs batch as a plain {@link KafkaBatch}. */
export function fromKafkaJsBatch(batch: Batch): KafkaBatch {
  return {
    topic: batch.topic,
    partition: batch.partition,
    records: batch.messages.map((message) => fromKafkaJsMessage(batch.topic, batch.partition, message)),
    nextOffset: (BigInt(batch.lastOffset()) + 1n).toString(),
    highWatermark: batch.highWatermark,
  };
}

/** Orders topic-partitions by topic, then partition. */
export function compareTopicPartitions(a: KafkaTopicPartition, b: KafkaTopicPartition): number {
  return a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition;
}

/** `topic/partition`, a key for sets and maps of topic-partitions. */
export function topicPartitionKey(tp: KafkaTopicPartition): string {
  return `${tp.topic}/${tp.partition}`;
}
