import { describe, expect, it } from 'vitest';
import type { KafkaRecord, RecordScoreOutput } from '../../../connectors/kafka/index.js';
import {
  alertMessage,
  badRecordError,
  classifyRecord,
  deadLetterMessage,
  DEAD_LETTER_HEADERS,
  isRetriable,
  createKafkaJsClient,
  KafkaConnectorError,
  kafkaRecords,
  recordScoreMessage,
  resumeOffset,
  retryRetriable,
  runKafkaPipeline,
} from '../../../connectors/kafka/index.js';
import { ConfigError, InputError, TitansError } from '../../../src/errors/index.js';
import type { RecordScore, SurpriseAlert } from '../../../src/pipeline/index.js';
import { InMemorySnapshotStore } from '../../../src/snapshot/index.js';

const encoder = new TextEncoder();

function record(value: Uint8Array | null, extra: Partial<KafkaRecord> = {}): KafkaRecord {
  return { topic: 'logs', partition: 2, offset: '41', key: encoder.encode('k'), value, timestamp: 1000, headers: { trace: encoder.encode('t1') }, ...extra };
}

describe('bad records', () => {
  it('classifies tombstones, empty, oversize and non-UTF-8 values; good ones pass', () => {
    expect(classifyRecord(record(null))).toBe('tombstone');
    expect(classifyRecord(record(new Uint8Array(0)))).toBe('empty');
    expect(classifyRecord(record(new Uint8Array(11)), { maxRecordBytes: 10 })).toBe('oversize');
    expect(classifyRecord(record(new Uint8Array([0xc3, 0x28])))).toBe('non-utf8');
    expect(classifyRecord(record(new Uint8Array([0xc3, 0x28])), { requireUtf8: false })).toBeUndefined();
    expect(classifyRecord(record(encoder.encode('héllo')))).toBeUndefined();
  });

  it('the fail policy error names code, topic, partition and offset; the dead letter keeps the record and adds the reason', () => {
    const error = badRecordError(record(null), 'tombstone');
    expect(error).toBeInstanceOf(InputError);
    expect(error.code).toBe('ERR_KAFKA_TOMBSTONE');
    expect(error.position).toEqual({ kind: 'kafka', topic: 'logs', partition: 2, offset: '41' });
    const letter = deadLetterMessage(record(new Uint8Array(20)), 'oversize', { maxRecordBytes: 10 });
    expect(letter.value).toEqual(new Uint8Array(20));
    expect(letter.key).toEqual(encoder.encode('k'));
    expect(letter.headers).toMatchObject({
      trace: encoder.encode('t1'),
      [DEAD_LETTER_HEADERS.reason]: 'oversize',
      [DEAD_LETTER_HEADERS.topic]: 'logs',
      [DEAD_LETTER_HEADERS.partition]: '2',
      [DEAD_LETTER_HEADERS.offset]: '41',
      [DEAD_LETTER_HEADERS.message]: 'value of 20 bytes exceeds the limit of 10 bytes',
    });
  });
});

describe('retryRetriable', () => {
  const connection = () => new KafkaConnectorError('ERR_KAFKA_CONNECTION', 'producer.send', 'connect ECONNREFUSED', { retriable: false });

  it('retries retriable failures and Kafka connection failures, not others', async () => {
    expect(isRetriable(new TitansError('ERR_X', 'busy', { retriable: true }))).toBe(true);
    expect(isRetriable(connection())).toBe(true);
    expect(isRetriable(new KafkaConnectorError('ERR_KAFKA_PROTOCOL', 'x', 'fenced', { protocolType: 'PRODUCER_FENCED' }))).toBe(false);
    expect(isRetriable(new Error('bug'))).toBe(false);
    let calls = 0;
    await expect(retryRetriable(async () => (++calls < 3 ? Promise.reject(connection()) : 'ok'), { initialDelayMs: 1 })).resolves.toBe('ok');
    expect(calls).toBe(3);
    calls = 0;
    const bug = new Error('bug');
    await expect(retryRetriable(async () => (++calls, Promise.reject(bug)), { initialDelayMs: 1 })).rejects.toBe(bug);
    expect(calls).toBe(1);
  });

  it('gives up with the last error after the timeout, and stops at once on abort', async () => {
    const started = performance.now();
    await expect(retryRetriable(() => Promise.reject(connection()), { timeoutMs: 100, initialDelayMs: 10, maxDelayMs: 20 })).rejects.toMatchObject({ code: 'ERR_KAFKA_CONNECTION' });
    expect(performance.now() - started).toBeLessThan(1000);
    const controller = new AbortController();
    const reason = new Error('stop');
    setTimeout(() => controller.abort(reason), 20);
    await expect(retryRetriable(() => Promise.reject(connection()), { initialDelayMs: 60_000, signal: controller.signal })).rejects.toBe(reason);
  });
});

describe('outputs and offsets', () => {
  const score: RecordScore = {
    type: 'record',
    key: 'logs-2',
    record: { value: encoder.encode('GET /x'), position: { kind: 'kafka', topic: 'logs', partition: 2, offset: '41' } },
    tokens: 7,
    meanLoss: 1.5,
    maxLoss: 3,
    meanSurprise: 0.25,
    maxSurprise: 0.5,
  };

  it('a score message is JSON keyed by the state key', () => {
    const message = recordScoreMessage(score);
    expect(message.key).toBe('logs-2');
    const json = JSON.parse(message.value as string) as RecordScoreOutput;
    expect(json).toEqual({ type: 'score', key: 'logs-2', position: score.record.position, tokens: 7, meanLoss: 1.5, maxLoss: 3, meanSurprise: 0.25, maxSurprise: 0.5 });
  });

  it('an alert message carries the record text, cut at 2000 characters', () => {
    const alert: SurpriseAlert = { type: 'alert', key: 'logs-2', record: { ...score.record, value: 'x'.repeat(2500) }, position: score.record.position, score: 4, bound: 2, reason: 'quantile', stats: score };
    const json = JSON.parse(alertMessage(alert).value as string) as { type: string; text: string; score: number; bound: number; reason: string };
    expect(json).toMatchObject({ type: 'alert', score: 4, bound: 2, reason: 'quantile' });
    expect(json.text).toBe(`${'x'.repeat(2000)}…`);
  });

  it('resumes after a complete record, and at a record absorbed only in part', () => {
    const position = { kind: 'kafka', topic: 'logs', partition: 0, offset: '99' } as const;
    expect(resumeOffset({ position, recordTokens: 5, recordComplete: true, records: 100 })).toBe('100');
    expect(resumeOffset({ position, recordTokens: 5, recordComplete: false, records: 99 })).toBe('99');
    expect(resumeOffset(undefined)).toBeUndefined();
    expect(resumeOffset({ position: { kind: 'stream', stream: 's', index: 3 }, recordTokens: 1, recordComplete: true, records: 4 })).toBeUndefined();
  });
});

describe('configuration', () => {
  // Nothing connects: the options are refused before any connection is opened.
  const client = createKafkaJsClient({ brokers: ['127.0.0.1:1'] });

  it('the source and the pipeline refuse bad options at once', () => {
    expect(() => kafkaRecords({ client, groupId: 'g', topics: [] })).toThrow(ConfigError);
    expect(() => kafkaRecords({ client, groupId: 'g', topics: ['t'], badRecords: 'dead-letter' })).toThrow(/deadLetterTopic/);
    expect(() => kafkaRecords({ client, groupId: 'g', topics: ['t'], capacity: 0 })).toThrow(/capacity/);
    expect(() => runKafkaPipeline({ client, groupId: 'g', topics: [] })).toThrow(ConfigError);
    expect(() => runKafkaPipeline({ client, groupId: 'g', topics: ['t'], exactlyOnce: true })).toThrow(/exactlyOnce/);
    // Exactly-once commits each snapshot in the partition's transaction: only the Kafka store can.
    expect(() => runKafkaPipeline({ client, groupId: 'g', topics: ['t'], exactlyOnce: true, output: { topic: 'o' }, store: new InMemorySnapshotStore() })).toThrow(/store/);
    expect(() => runKafkaPipeline({ client, groupId: 'g', topics: ['t'], memory: { dim: 0 } })).toThrow(ConfigError);
  });
});
