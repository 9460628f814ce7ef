import { describe, expect, it } from 'vitest';
import type { KafkaProducer, KafkaSender, KafkaTopicMessages, KafkaTransaction } from '../../../connectors/kafka/index.js';
import { KafkaConnectorError, PartitionTransaction } from '../../../connectors/kafka/index.js';
import type { RecordScore } from '../../../src/pipeline/index.js';

type Step = 'send' | 'snapshot' | 'sendOffsets' | 'commit';

/** A producer whose transactions log what they do and fail once at `failAt` with a retriable error. */
function fakeProducer(failAt: Step | undefined) {
  const log: string[] = [];
  let failed = false;
  const maybeFail = (step: Step): void => {
    if (step !== failAt || failed) return;
    failed = true;
    throw new KafkaConnectorError('ERR_KAFKA_CONNECTION', step, 'connection dropped', { retriable: true });
  };
  let n = 0;
  const producer: KafkaProducer = {
    connect: async () => undefined,
    disconnect: async () => undefined,
    send: async () => [],
    transaction: async () => {
      const id = ++n;
      let active = true;
      const tx: KafkaTransaction = {
        send: async (batch: readonly KafkaTopicMessages[]) => {
          maybeFail('send');
          log.push(`tx${id} send ${batch.reduce((k, t) => k + t.messages.length, 0)}`);
          return [];
        },
        sendOffsets: async (_group, offsets) => {
          maybeFail('sendOffsets');
          log.push(`tx${id} offsets ${offsets.map((o) => o.offset).join(',')}`);
        },
        commit: async () => {
          maybeFail('commit');
          active = false;
          log.push(`tx${id} commit`);
        },
        abort: async () => {
          active = false;
          log.push(`tx${id} abort`);
        },
        isActive: () => active,
      };
      return tx;
    },
  };
  const snapshot = async (via: KafkaSender): Promise<void> => {
    maybeFail('snapshot');
    log.push(`tx${n} snapshot${via === undefined ? '' : ' (in the transaction)'}`);
  };
  return { producer, snapshot, log };
}

const score = (offset: number): RecordScore => ({
  type: 'record',
  key: 'logs-0',
  record: { value: 'GET /x', position: { kind: 'kafka', topic: 'logs', partition: 0, offset: String(offset) } },
  tokens: 7,
  meanLoss: 1,
  maxLoss: 2,
  meanSurprise: 1,
  maxSurprise: 2,
});

function transaction(producer: KafkaProducer): PartitionTransaction {
  return new PartitionTransaction({ producer, groupId: 'g', partition: { topic: 'logs', partition: 0 }, scoreTopic: 'scores', alertTopic: undefined, retryTimeoutMs: 5000 });
}

describe('PartitionTransaction', () => {
  it('commits outputs, snapshot and offset in one transaction, in that order', async () => {
    const { producer, snapshot, log } = fakeProducer(undefined);
    const t = transaction(producer);
    await t.score(score(0));
    await t.score(score(1));
    expect(t.held).toBe(2);
    await t.commit('2', snapshot);
    expect(log).toEqual(['tx1 send 2', 'tx1 snapshot (in the transaction)', 'tx1 offsets 2', 'tx1 commit']);
    expect(t.held).toBe(0);
  });

  it.each(['send', 'snapshot', 'sendOffsets'] as const)('a retriable failure at %s aborts and tries the whole transaction again', async (step) => {
    const { producer, snapshot, log } = fakeProducer(step);
    const t = transaction(producer);
    await t.score(score(0));
    await t.commit('1', snapshot);
    expect(log).toContain('tx1 abort');
    expect(log.slice(-4)).toEqual(['tx2 send 1', 'tx2 snapshot (in the transaction)', 'tx2 offsets 1', 'tx2 commit']);
  });

  it('a failed commit request is not retried (it may have committed): ERR_KAFKA_COMMIT_UNKNOWN, outputs kept', async () => {
    const { producer, snapshot, log } = fakeProducer('commit');
    const t = transaction(producer);
    await t.score(score(0));
    await expect(t.commit('1', snapshot)).rejects.toSatisfy((e) => e instanceof KafkaConnectorError && e.code === 'ERR_KAFKA_COMMIT_UNKNOWN' && !e.retriable);
    expect(log.filter((l) => l.endsWith('send 1'))).toHaveLength(1);
    expect(t.held).toBe(1);
  });
});
