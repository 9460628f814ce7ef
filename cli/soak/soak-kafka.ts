import { kafkaRecords, type KafkaClient } from '../../connectors/kafka/index.js';
import type { SourceRecord } from '../../src/records/index.js';
import { sampleLogLines } from '../../src/sample/index.js';
import { ensureTopics } from '../run/run-kafka.js';

/** Messages per produce request. */
const PRODUCE_BATCH = 1000;

const encoder = new TextEncoder();

/**
 * Produces the generated stream (the sample logs of `seed`) to `topic` (created if missing, with
 * the broker's defaults) until it holds at least `tokens` byte tokens (each record's bytes plus
 * its separator, as the soak's tokenizer counts them).
 *
 * @param onProgress - told the records and tokens produced so far after each request.
 * @returns the records and tokens produced.
 */
export async function produceGenerated(
  client: KafkaClient,
  topic: string,
  options: { readonly tokens: number; readonly seed: number; readonly signal: AbortSignal; readonly onProgress?: (records: number, tokens: number) => void },
): Promise<{ records: number; tokens: number }> {
  await ensureTopics(client, [topic]);
  const producer = client.producer();
  await producer.connect();
  let records = 0;
  let tokens = 0;
  try {
    let batch: { value: string }[] = [];
    const flush = async (): Promise<void> => {
      if (batch.length === 0) return;
      await producer.send([{ topic, messages: batch }]);
      batch = [];
      options.onProgress?.(records, tokens);
    };
    for (const { line } of sampleLogLines({ count: Infinity, seed: options.seed })) {
      if (tokens >= options.tokens) break;
      options.signal.throwIfAborted();
      batch.push({ value: line });
      records += 1;
      tokens += encoder.encode(line).length + 1;
      if (batch.length >= PRODUCE_BATCH) await flush();
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
  return { records, tokens };
}

/**
 * The records of `topic` from the beginning, through a consumer group of its own (nothing is
 * committed); the stream ends after `idleExitMs` without records.
 */
export function kafkaSoakRecords(client: KafkaClient, topic: string, options: { readonly groupId: string; readonly idleExitMs: number; readonly signal: AbortSignal }): AsyncIterable<SourceRecord> {
  return kafkaRecords({ client, groupId: options.groupId, topics: [topic], fromBeginning: true, idleExitMs: options.idleExitMs, signal: options.signal, consumer: { maxWaitTimeMs: 500 } });
}
