import { isUtf8 } from 'node:buffer';
import { ConfigError, InputError } from '../../src/errors/index.js';
import type { KafkaPosition } from '../../src/records/index.js';
import type { KafkaMessage, KafkaRecord } from './client.js';

/** Why a consumed record cannot go into the memory. */
export type BadRecordReason = 'tombstone' | 'empty' | 'non-utf8' | 'oversize';

/**
 * What happens to a bad record: `dead-letter` produces it (with the reason in its headers) to a
 * dead-letter topic and skips it; `fail` stops the source with an {@link InputError}. Bad records
 * are never dropped silently.
 */
export type BadRecordPolicy = 'dead-letter' | 'fail';

/** The policies, for validation and help texts. */
export const BAD_RECORD_POLICIES: readonly BadRecordPolicy[] = ['dead-letter', 'fail'];

/** What makes a record bad. */
export interface BadRecordChecks {
  /** Values longer than this many bytes are `oversize` (default 1 MiB). */
  readonly maxRecordBytes?: number;
  /** Values that are not valid UTF-8 are `non-utf8` (default true: the byte tokenizer reads text). */
  readonly requireUtf8?: boolean;
}

/** Default of {@link BadRecordChecks.maxRecordBytes}. */
export const DEFAULT_MAX_RECORD_BYTES = 1 << 20;

/** Headers a dead-lettered record carries (besides its own). */
export const DEAD_LETTER_HEADERS = {
  reason: 'titans.error.reason',
  message: 'titans.error.message',
  topic: 'titans.source.topic',
  partition: 'titans.source.partition',
  offset: 'titans.source.offset',
  timestamp: 'titans.source.timestamp',
} as const;

/** Error codes of {@link badRecordError}, by reason. */
export const BAD_RECORD_CODES: Readonly<Record<BadRecordReason, string>> = {
  tombstone: 'ERR_KAFKA_TOMBSTONE',
  empty: 'ERR_KAFKA_EMPTY_RECORD',
  'non-utf8': 'ERR_KAFKA_NOT_UTF8',
  oversize: 'ERR_KAFKA_OVERSIZE_RECORD',
};

/**
 * Checks the options of bad-record handling.
 *
 * @throws {ConfigError} for an unknown policy, `dead-letter` without a topic, or a bad size limit.
 */
export function checkBadRecordOptions(policy: BadRecordPolicy, deadLetterTopic: string | undefined, checks: BadRecordChecks): void {
  if (!BAD_RECORD_POLICIES.includes(policy)) {
    throw new ConfigError('badRecords', `unknown policy ${JSON.stringify(policy)}; expected one of ${BAD_RECORD_POLICIES.join(', ')}`);
  }
  if (policy === 'dead-letter' && (deadLetterTopic === undefined || deadLetterTopic === '')) {
    throw new ConfigError('deadLetterTopic', 'the dead-letter policy needs a topic to send bad records to');
  }
  const max = checks.maxRecordBytes;
  if (max !== undefined && !(Number.isSafeInteger(max) && max > 0)) throw new ConfigError('maxRecordBytes', `must be a positive integer, got ${max}`);
}

/**
 * Says whether a consumed record is bad, and why.
 *
 * @example
 * ```ts
 * classifyRecord(record, { maxRecordBytes: 65536 }) // 'oversize' | 'tombstone' | ... | undefined
 * ```
 * @param record - the consumed record.
 * @param checks - size limit and UTF-8 requirement.
 * @returns the reason, or `undefined` for a good record.
 */
export function classifyRecord(record: KafkaRecord, checks: BadRecordChecks = {}): BadRecordReason | undefined {
  const { value } = record;
  if (value === null) return 'tombstone';
  if (value.byteLength === 0) return 'empty';
  if (value.byteLength > (checks.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES)) return 'oversize';
  if ((checks.requireUtf8 ?? true) && !isUtf8(value)) return 'non-utf8';
  return undefined;
}

/** The position of a consumed record. */
export function kafkaPositionOf(record: Pick<KafkaRecord, 'topic' | 'partition' | 'offset'>): KafkaPosition {
  return { kind: 'kafka', topic: record.topic, partition: record.partition, offset: record.offset };
}

function describeReason(record: KafkaRecord, reason: BadRecordReason, checks: BadRecordChecks): string {
  switch (reason) {
    case 'tombstone':
      return 'tombstone (null value)';
    case 'empty':
      return 'empty value';
    case 'non-utf8':
      return `value is not valid UTF-8 (${record.value?.byteLength ?? 0} bytes)`;
    case 'oversize':
      return `value of ${record.value?.byteLength ?? 0} bytes exceeds the limit of ${checks.maxRecordBytes ?? DEFAULT_MAX_RECORD_BYTES} bytes`;
  }
}

/**
 * The error the `fail` policy stops the source with.
 *
 * @param record - the bad record.
 * @param reason - what is wrong with it.
 * @param checks - the limits it was checked against (for the message).
 * @returns an {@link InputError} with code `ERR_KAFKA_…` and the record's topic, partition and offset.
 */
export function badRecordError(record: KafkaRecord, reason: BadRecordReason, checks: BadRecordChecks = {}): InputError {
  return new InputError(BAD_RECORD_CODES[reason], `bad Kafka record: ${describeReason(record, reason, checks)}`, kafkaPositionOf(record));
}

/**
 * The dead-letter copy of a bad record: same key, value and headers, plus the reason and the
 * source topic, partition, offset and timestamp in `titans.*` headers.
 *
 * @param record - the bad record.
 * @param reason - what is wrong with it.
 * @param checks - the limits it was checked against (for the message header).
 * @returns the message to produce to the dead-letter topic.
 */
export function deadLetterMessage(record: KafkaRecord, reason: BadRecordReason, checks: BadRecordChecks = {}): KafkaMessage {
  const headers: Record<string, Uint8Array | string> = {};
  for (const [name, value] of Object.entries(record.headers)) {
    // A repeated header keeps its last value: the message interface has one value per name.
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) headers[name] = last as Uint8Array;
  }
  Object.assign(headers, {
    [DEAD_LETTER_HEADERS.reason]: reason,
    [DEAD_LETTER_HEADERS.message]: describeReason(record, reason, checks),
    [DEAD_LETTER_HEADERS.topic]: record.topic,
    [DEAD_LETTER_HEADERS.partition]: String(record.partition),
    [DEAD_LETTER_HEADERS.offset]: record.offset,
    [DEAD_LETTER_HEADERS.timestamp]: String(record.timestamp),
  });
  return { key: record.key, value: record.value, headers };
}
