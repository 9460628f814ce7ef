import { describe, expect, it } from 'vitest';
import { KafkaOutputSink, type KafkaSender, type KafkaTopicMessages } from '../../../connectors/kafka/index.js';
import { ConfigError, TitansError } from '../../../src/errors/index.js';

/** A sender that records what it was given (the real broker is in kafka-memory-pipeline.test.ts). */
function recordingSender(fail?: () => unknown): KafkaSender & { batches: KafkaTopicMessages[][] } {
  const batches: KafkaTopicMessages[][] = [];
  return {
    batches,
    send: async (batch) => {
      const error = fail?.();
      if (error !== undefined) throw error;
      batches.push([...batch]);
      return [];
    },
  };
}

const sent = (sender: { batches: KafkaTopicMessages[][] }): string[] => sender.batches.flatMap((b) => b.flatMap((t) => t.messages.map((m) => String(m.value))));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('KafkaOutputSink', () => {
  it('sends a full batch at once, in write order', async () => {
    const sender = recordingSender();
    const sink = new KafkaOutputSink({ producer: sender, topic: 'scores', batchSize: 3, lingerMs: Infinity });
    for (const value of ['a', 'b', 'c', 'd']) await sink.write({ key: null, value });
    expect(sent(sender)).toEqual(['a', 'b', 'c']);
    expect(sink.pending).toBe(1);
    expect(await sink.flush()).toBe(4);
    expect(sent(sender)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('sends a batch that does not fill lingerMs after its first message, without a flush', async () => {
    const sender = recordingSender();
    const sink = new KafkaOutputSink({ producer: sender, topic: 'scores', lingerMs: 30 });
    await sink.write({ key: null, value: 'quiet-1' });
    await sink.write({ key: null, value: 'quiet-2' }, 'alerts');
    expect(sent(sender)).toEqual([]);
    await sleep(150);
    expect(sent(sender)).toEqual(['quiet-1', 'quiet-2']);
    expect(sender.batches[0]?.map((t) => t.topic)).toEqual(['scores', 'alerts']);
    expect(sink.sent).toBe(2);
  });

  it('with lingerMs Infinity, only full batches and flush send', async () => {
    const sender = recordingSender();
    const sink = new KafkaOutputSink({ producer: sender, topic: 'scores', lingerMs: Infinity });
    await sink.write({ key: null, value: 'held' });
    await sleep(150);
    expect(sent(sender)).toEqual([]);
    await sink.flush();
    expect(sent(sender)).toEqual(['held']);
  });

  it('a lingering send that fails for good is reported to onError once, and the next write throws it', async () => {
    const refusal = new TitansError('ERR_KAFKA_SEND', 'topic authorization failed');
    const sender = recordingSender(() => refusal);
    const reported: unknown[] = [];
    const sink = new KafkaOutputSink({ producer: sender, topic: 'scores', lingerMs: 10, onError: (error) => reported.push(error) });
    await sink.write({ key: null, value: 'lost' });
    await sleep(120);
    expect(reported).toEqual([refusal]);
    await expect(sink.write({ key: null, value: 'next' })).rejects.toBe(refusal);
    await expect(sink.flush()).rejects.toBe(refusal);
    expect(reported).toHaveLength(1);
  });

  it('a bad lingerMs or batch size is a ConfigError naming the field', () => {
    const producer = recordingSender();
    expect(() => new KafkaOutputSink({ producer, topic: 'scores', lingerMs: -1 })).toThrow(expect.objectContaining({ field: 'lingerMs' }) as Error);
    expect(() => new KafkaOutputSink({ producer, topic: 'scores', lingerMs: Number.NaN })).toThrow(ConfigError);
    expect(() => new KafkaOutputSink({ producer, topic: 'scores', batchSize: 0 })).toThrow(expect.objectContaining({ field: 'batchSize' }) as Error);
  });
});
