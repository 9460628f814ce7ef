import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { KafkaMessage, KafkaRecord, KafkaRecordSource } from '../../../connectors/kafka/index.js';
import { DEAD_LETTER_HEADERS, kafkaRecords } from '../../../connectors/kafka/index.js';
import { InputError } from '../../../src/errors/index.js';
import type { KafkaPosition, SourceRecord } from '../../../src/records/index.js';
import { uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';

const text = new TextDecoder();

function positionOf(record: SourceRecord): KafkaPosition {
  if (record.position.kind !== 'kafka') throw new Error(`not a Kafka position: ${record.position.kind}`);
  return record.position;
}

describe('kafkaRecords on the real broker', () => {
  const kafka = useKafka();

  async function topicWith(partitions: number, messages: readonly KafkaMessage[]): Promise<string> {
    const admin = await kafka.admin();
    const topic = uniqueName('records');
    await admin.createTopics([{ topic, numPartitions: partitions }]);
    const producer = await kafka.producer();
    if (messages.length > 0) await producer.send([{ topic, messages }]);
    return topic;
  }

  function source(topic: string, options: Partial<Parameters<typeof kafkaRecords>[0]> = {}): KafkaRecordSource {
    const s = kafkaRecords({ client: kafka.client(), groupId: uniqueName('group'), topics: [topic], consumer: { maxWaitTimeMs: 100 }, ...options });
    kafka.closeAfterTest({ disconnect: () => s.close() });
    return s;
  }

  async function readUntil(s: KafkaRecordSource, count: number, each?: (r: SourceRecord) => Promise<void>): Promise<SourceRecord[]> {
    const got: SourceRecord[] = [];
    for await (const record of s) {
      got.push(record);
      await each?.(record);
      if (got.length === count) break;
    }
    return got;
  }

  it('yields every record once as a SourceRecord, in order per partition, and commits only when told', async () => {
    const count = 300;
    const topic = await topicWith(3, Array.from({ length: count }, (_, i) => ({ key: `k${i % 7}`, value: `line ${i}` })));
    const groupId = uniqueName('group');
    const s = source(topic, { groupId });
    const got: SourceRecord[] = [];
    for await (const record of s) {
      got.push(record);
      if (got.length === count) break;
    }
    expect(got.map((r) => text.decode(r.value as Uint8Array)).sort()).toEqual(Array.from({ length: count }, (_, i) => `line ${i}`).sort());
    const first = got[0] as SourceRecord;
    expect(first.value).toBeInstanceOf(Uint8Array);
    expect(first.key).toMatch(/^k\d$/);
    for (const p of [0, 1, 2]) {
      const offsets = got.map(positionOf).filter((pos) => pos.partition === p).map((pos) => Number(pos.offset));
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
    // Nothing was committed: the loop never called commit.
    const admin = await kafka.admin();
    expect((await admin.fetchOffsets(groupId, [topic])).map((o) => o.offset)).toEqual([null, null, null]);
  });

  it('commits what it is told, for owned partitions only', async () => {
    const topic = await topicWith(2, Array.from({ length: 20 }, (_, i) => ({ value: `v${i}`, partition: i % 2 })));
    const groupId = uniqueName('group');
    const s = source(topic, { groupId });
    const got = await readUntilNoBreak(s, 20);
    const committed = await s.commit([
      { topic, partition: 0, offset: '10' },
      { topic, partition: 1, offset: '4' },
      { topic: 'not-ours', partition: 0, offset: '1' },
    ]);
    expect(committed).toEqual([
      { topic, partition: 0, offset: '10' },
      { topic, partition: 1, offset: '4' },
    ]);
    expect(got).toHaveLength(20);
    const admin = await kafka.admin();
    expect((await admin.fetchOffsets(groupId, [topic])).map((o) => o.offset)).toEqual(['10', '4']);
    expect(s.progress().map((p) => [p.partition, p.committed, p.delivered, p.lag])).toEqual([
      [0, '10', '10', 0],
      [1, '4', '10', 0],
    ]);
    await s.close();
  });

  /** Reads `count` records without leaving the loop through break (which would close the source). */
  async function readUntilNoBreak(s: KafkaRecordSource, count: number): Promise<SourceRecord[]> {
    const got: SourceRecord[] = [];
    const iterator = s[Symbol.asyncIterator]();
    while (got.length < count) {
      const r = await iterator.next();
      if (r.done === true) break;
      got.push(r.value);
    }
    return got;
  }

  it('a full buffer pauses the partition; a slow reader still gets everything once, in order', async () => {
    const count = 200;
    const topic = await topicWith(1, Array.from({ length: count }, (_, i) => ({ value: `slow ${i}` })));
    const s = source(topic, { capacity: 8 });
    let sawPause = false;
    const got = await readUntil(s, count, async (r) => {
      if (Number(positionOf(r).offset) % 20 === 0) await sleep(30);
      sawPause ||= s.progress().some((p) => p.paused);
    });
    expect(sawPause).toBe(true);
    expect(got.map((r) => positionOf(r).offset)).toEqual(Array.from({ length: count }, (_, i) => String(i)));
  });

  it('heartbeats while the reader stalls longer than the session timeout: no rebalance, nothing twice', async () => {
    const topic = await topicWith(1, Array.from({ length: 30 }, (_, i) => ({ value: `h${i}` })));
    const s = source(topic, { capacity: 2, heartbeatEveryMs: 300, consumer: { maxWaitTimeMs: 100, sessionTimeoutMs: 3000, heartbeatIntervalMs: 500 } });
    const producer = await kafka.producer();
    const got = await readUntil(s, 40, async (r) => {
      if (positionOf(r).offset === '3') await sleep(7000);
      // After the stall: a member dropped by the coordinator would rejoin now, and count a second assignment.
      if (positionOf(r).offset === '29') await producer.send([{ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `late ${i}` })) }]);
    });
    expect(got.map((r) => positionOf(r).offset)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(s.stats.assignments).toBe(1);
  }, 30_000);

  it('heartbeats through one long batch whose every wait is short (a steady, slow reader)', async () => {
    const topic = await topicWith(1, Array.from({ length: 120 }, (_, i) => ({ value: `s${i}` })));
    const s = source(topic, { capacity: 4, consumer: { maxWaitTimeMs: 100, sessionTimeoutMs: 3000, heartbeatIntervalMs: 500 } });
    const producer = await kafka.producer();
    const got = await readUntil(s, 130, async (r) => {
      if (Number(positionOf(r).offset) < 120) await sleep(40); // ~5 s in all, longer than the session timeout
      if (positionOf(r).offset === '119') await producer.send([{ topic, messages: Array.from({ length: 10 }, (_, i) => ({ value: `late ${i}` })) }]);
    });
    expect(got.map((r) => positionOf(r).offset)).toEqual(Array.from({ length: 130 }, (_, i) => String(i)));
    expect(s.stats.assignments).toBe(1);
  }, 30_000);

  it('dead-letters tombstones, empty, non-UTF-8 and oversize records with the reason, and skips them', async () => {
    const bad: KafkaMessage[] = [
      { key: 'tomb', value: null },
      { value: new Uint8Array(0) },
      { value: new Uint8Array([0x66, 0xff, 0xfe, 0x6f]) },
      { value: 'x'.repeat(300) },
    ];
    const messages: KafkaMessage[] = [{ value: 'good 0' }, ...bad.slice(0, 2), { value: 'good 1' }, ...bad.slice(2), { value: 'good 2' }];
    const topic = await topicWith(1, messages);
    const deadLetterTopic = uniqueName('dlq');
    const admin = await kafka.admin();
    await admin.createTopics([{ topic: deadLetterTopic, numPartitions: 1 }]);
    const s = source(topic, { badRecords: 'dead-letter', deadLetterTopic, maxRecordBytes: 256, deadLetterProducer: await kafka.producer() });
    const got = await readUntil(s, 3);
    expect(got.map((r) => text.decode(r.value as Uint8Array))).toEqual(['good 0', 'good 1', 'good 2']);
    expect(s.stats.deadLettered).toBe(4);

    const letters: KafkaRecord[] = [];
    const reader = kafka.closeAfterTest(kafka.client().consumer({ groupId: uniqueName('dlq-reader'), maxWaitTimeMs: 100 }));
    await reader.connect();
    await reader.subscribe([deadLetterTopic]);
    await reader.run({ eachBatch: async (batch) => void letters.push(...batch.records) });
    await waitUntil('4 dead letters', () => letters.length >= 4);
    const header = (r: KafkaRecord, name: string): string => text.decode(r.headers[name] as Uint8Array);
    expect(letters.map((r) => header(r, DEAD_LETTER_HEADERS.reason))).toEqual(['tombstone', 'empty', 'non-utf8', 'oversize']);
    expect(letters.map((r) => header(r, DEAD_LETTER_HEADERS.offset))).toEqual(['1', '2', '4', '5']);
    expect(letters.every((r) => header(r, DEAD_LETTER_HEADERS.topic) === topic && header(r, DEAD_LETTER_HEADERS.partition) === '0')).toBe(true);
    expect(letters[0]?.value).toBeNull();
    expect(text.decode(letters[0]?.key as Uint8Array)).toBe('tomb');
    expect(Array.from(letters[2]?.value ?? [])).toEqual([0x66, 0xff, 0xfe, 0x6f]);
    expect(header(letters[3] as KafkaRecord, DEAD_LETTER_HEADERS.message)).toMatch(/300 bytes exceeds the limit of 256/);
  });

  it('with the fail policy, a bad record fails the stream with an InputError naming topic, partition and offset', async () => {
    const topic = await topicWith(1, [{ value: 'fine' }, { value: 'also fine' }, { value: null }, { value: 'never read' }]);
    const s = source(topic, { badRecords: 'fail' });
    const got: string[] = [];
    const failure = await (async () => {
      try {
        for await (const r of s) got.push(text.decode(r.value as Uint8Array));
      } catch (error) {
        return error;
      }
      return undefined;
    })();
    expect(got).toEqual(['fine', 'also fine']);
    expect(failure).toBeInstanceOf(InputError);
    expect((failure as InputError).code).toBe('ERR_KAFKA_TOMBSTONE');
    expect((failure as InputError).position).toEqual({ kind: 'kafka', topic, partition: 0, offset: '2' });
    expect((failure as InputError).message).toContain(`${topic}[0]@2`);
  });

  it('idleExitMs ends the stream once no records came for that long', async () => {
    const topic = await topicWith(2, Array.from({ length: 10 }, (_, i) => ({ value: `idle ${i}` })));
    const s = source(topic, { idleExitMs: 1500 });
    const started = performance.now();
    const got: SourceRecord[] = [];
    for await (const record of s) got.push(record);
    expect(got).toHaveLength(10);
    expect(performance.now() - started).toBeGreaterThanOrEqual(1500);
    // Still in the group after the graceful end: commits work until close.
    expect(await s.commit([{ topic, partition: 0, offset: '1' }])).toHaveLength(1);
    await s.close();
  });

  it('break leaves the group at once: another member of the group takes over without waiting for a session timeout', async () => {
    const topic = await topicWith(1, Array.from({ length: 50 }, (_, i) => ({ value: `b${i}` })));
    const groupId = uniqueName('group');
    const first = source(topic, { groupId, consumer: { maxWaitTimeMs: 100, sessionTimeoutMs: 30_000 } });
    expect(await readUntil(first, 5)).toHaveLength(5);
    const second = source(topic, { groupId, consumer: { maxWaitTimeMs: 100, rebalanceTimeoutMs: 30_000 } });
    const started = performance.now();
    const got = await readUntil(second, 50);
    expect(got.map((r) => positionOf(r).offset)).toEqual(Array.from({ length: 50 }, (_, i) => String(i)));
    expect(performance.now() - started).toBeLessThan(15_000);
  });
});
