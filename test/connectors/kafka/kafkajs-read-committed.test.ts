import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import type { KafkaProducer } from '../../../connectors/kafka/index.js';
import { readCommittedFilterInstalled, withoutAbortedRecords, type FetchedMessage } from '../../../connectors/kafka/kafkajs-read-committed.js';
import { uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';

const COMMIT = Uint8Array.of(0, 0, 0, 1);
const ABORT = Uint8Array.of(0, 0, 0, 0);

/** A fetched record of `producer` at `offset` (transactional unless the producer is '-1'). */
function record(offset: number, producer: string): FetchedMessage {
  return { offset: String(offset), key: null, isControlRecord: false, batchContext: { producerId: producer, inTransaction: producer !== '-1' } };
}

/** A transaction marker of `producer` at `offset`. */
function marker(offset: number, producer: string, key: Uint8Array): FetchedMessage {
  return { offset: String(offset), key, isControlRecord: true, batchContext: { producerId: producer, inTransaction: true } };
}

const offsetsOf = (messages: readonly FetchedMessage[]): number[] => messages.filter((m) => m.isControlRecord !== true).map((m) => Number(m.offset));

describe('withoutAbortedRecords', () => {
  it('drops every aborted transaction when the broker lists them in marker order, not start order', () => {
    // Transactions of producers 1, 2, 3 begin at 0, 2, 4; 2 aborts first, then 1, then 3.
    const messages = [record(0, '1'), record(1, '1'), record(2, '2'), record(3, '2'), record(4, '3'), record(5, '3'), marker(6, '2', ABORT), marker(7, '1', ABORT), marker(8, '3', ABORT), record(9, '-1')];
    const aborted = [
      { producerId: '2', firstOffset: '2' },
      { producerId: '1', firstOffset: '0' },
      { producerId: '3', firstOffset: '4' },
    ];
    expect(offsetsOf(withoutAbortedRecords({ messages, abortedTransactions: aborted }))).toEqual([9]);
  });

  it("keeps a producer's committed transactions before and after its aborted one, and other producers' records in between", () => {
    const messages = [record(0, '1'), marker(1, '1', COMMIT), record(2, '1'), record(3, '2'), marker(4, '1', ABORT), record(5, '1'), marker(6, '2', COMMIT), marker(7, '1', COMMIT)];
    expect(offsetsOf(withoutAbortedRecords({ messages, abortedTransactions: [{ producerId: '1', firstOffset: '2' }] }))).toEqual([0, 3, 5]);
  });

  it('applies aborted transactions that began before the fetched messages (a fetch from the middle of them)', () => {
    // Producers 1 and 2 both had aborted transactions running when the fetch began at offset 10.
    const messages = [record(10, '2'), record(11, '1'), record(12, '2'), marker(13, '1', ABORT), marker(14, '2', ABORT), record(15, '1'), marker(16, '1', COMMIT)];
    const aborted = [
      { producerId: '1', firstOffset: '7' },
      { producerId: '2', firstOffset: '8' },
    ];
    expect(offsetsOf(withoutAbortedRecords({ messages, abortedTransactions: aborted }))).toEqual([15]);
  });

  it('keeps everything (control records included) when nothing aborted, and messages of the old format', () => {
    const messages = [record(0, '1'), marker(1, '1', COMMIT), { offset: '2' }];
    expect(withoutAbortedRecords({ messages, abortedTransactions: [] })).toEqual(messages);
    expect(withoutAbortedRecords({ messages: [{ offset: '5' }], abortedTransactions: [{ producerId: '1', firstOffset: '0' }] })).toEqual([{ offset: '5' }]);
  });
});

describe('read_committed through the connector, on the real broker', () => {
  const kafka = useKafka();
  const text = new TextDecoder();

  it('is installed in kafkajs', () => {
    expect(readCommittedFilterInstalled).toBe(true);
  });

  it('a consumer sees exactly the committed records when transactions abort in another order than they began', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('read-committed');
    await admin.createTopics([{ topic, numPartitions: 1 }]);
    const producers: KafkaProducer[] = [];
    for (let i = 0; i < 3; i++) {
      const producer = kafka.closeAfterTest(kafka.client().producer({ transactionalId: uniqueName(`read-committed-${i}`) }));
      await producer.connect();
      producers.push(producer);
    }
    const send = (tx: { send: KafkaProducer['send'] }, name: string) => tx.send([{ topic, messages: [0, 1, 2].map((j) => ({ value: `${name}-${j}`, partition: 0 })) }]);
    // Three transactions open one after the other on one partition...
    const open = await Promise.all(producers.map((p) => p.transaction()));
    for (const [i, tx] of open.entries()) await send(tx, `aborted-${i}`);
    // ...end in another order: the broker lists aborted transactions by marker, 1 before 0.
    await open[1]?.abort();
    await open[2]?.commit();
    await open[0]?.abort();
    // Afterwards, each producer commits one more transaction.
    for (const [i, producer] of producers.entries()) {
      const tx = await producer.transaction();
      await send(tx, `after-${i}`);
      await tx.commit();
    }
    const plain = kafka.closeAfterTest(kafka.client().producer());
    await plain.connect();
    await plain.send([{ topic, messages: [{ value: 'end', partition: 0 }] }]);

    const consumer = kafka.closeAfterTest(kafka.client().consumer({ groupId: uniqueName('read-committed-reader'), maxWaitTimeMs: 100 }));
    await consumer.connect();
    await consumer.subscribe([topic]);
    const values: string[] = [];
    await consumer.run({ eachBatch: async (batch) => void values.push(...batch.records.map((r) => text.decode(r.value as Uint8Array))) });
    await waitUntil(`"end" on ${topic}`, () => values.includes('end'));
    await sleep(200);
    const expected = ['aborted-2', 'after-0', 'after-1', 'after-2'].flatMap((name) => [0, 1, 2].map((j) => `${name}-${j}`));
    expect(values).toEqual([...expected, 'end']);
  });
});
