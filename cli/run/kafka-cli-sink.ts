import { KafkaOutputSink, recordScoreMessage, type KafkaProducer } from '../../connectors/kafka/index.js';
import type { RecordScore } from '../../src/pipeline/index.js';
import { cliKafkaClient, type KafkaRunFlags } from './kafka-flags.js';
import { ensureTopics } from './run-kafka.js';

/** `--sink kafka:<topic>` for file and sample sources: JSON score messages, at least once. */
export interface KafkaCliSink {
  /** Queues the score message of a record. */
  write(score: RecordScore): Promise<void>;
  /** Sends what is queued and waits for the acknowledgements. */
  flush(): Promise<void>;
  /** Disconnects the producer. */
  close(): Promise<void>;
}

/**
 * Opens the Kafka sink of `run` for sources other than Kafka: an idempotent producer and a
 * batching {@link KafkaOutputSink} on `topic` (created when missing).
 */
export async function openKafkaCliSink(flags: KafkaRunFlags, topic: string, env: NodeJS.ProcessEnv): Promise<KafkaCliSink> {
  const client = cliKafkaClient(flags.brokers, env);
  await ensureTopics(client, [topic]);
  const producer: KafkaProducer = client.producer();
  await producer.connect();
  const sink = new KafkaOutputSink({ producer, topic });
  return {
    write: (score) => sink.write(recordScoreMessage(score)),
    flush: async () => {
      await sink.flush();
    },
    close: () => producer.disconnect(),
  };
}
