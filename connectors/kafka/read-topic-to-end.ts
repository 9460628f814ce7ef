import { randomUUID } from 'node:crypto';
import type { KafkaAdmin, KafkaClient, KafkaRecord } from './client.js';
import { delay } from './delay.js';
import { KafkaConnectorError } from './errors.js';

/** Options of {@link readTopicToEnd}. */
export interface ReadTopicOptions {
  /** Give up after this long (default 60000 ms). */
  readonly timeoutMs?: number;
  /** Stops the read. */
  readonly signal?: AbortSignal;
}

/**
 * Reads every record of `topic` from its earliest offset up to the end it had when the call
 * started (its high watermarks then), with a consumer of a throw-away group that commits nothing.
 *
 * @example
 * ```ts
 * await readTopicToEnd(client, admin, 'snapshots', (record) => index(record));
 * ```
 * @param client - the cluster.
 * @param admin - a connected admin of the same cluster (for the end offsets).
 * @param topic - the topic.
 * @param onRecord - called for each record, in offset order per partition.
 * @param options - timeout, signal.
 * @returns once every partition was read to its end.
 * @throws {KafkaConnectorError} `ERR_KAFKA_CONNECTION` (retriable) when the end is not reached in time; consumer failures.
 */
export async function readTopicToEnd(
  client: KafkaClient,
  admin: KafkaAdmin,
  topic: string,
  onRecord: (record: KafkaRecord) => void,
  options: ReadTopicOptions = {},
): Promise<void> {
  const { timeoutMs = 60_000, signal } = options;
  const ends = await admin.fetchTopicOffsets(topic);
  const pending = new Map(ends.filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]));
  if (pending.size === 0) return;
  const consumer = client.consumer({ groupId: `titans-reader-${randomUUID()}`, maxWaitTimeMs: 200 });
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  // Settled early (a crash or an abort before anyone waits): not an unhandled rejection.
  finished.catch(() => undefined);
  const stop = new AbortController();
  const onAbort = (): void => finish(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await consumer.connect();
    consumer.onCrash((crash) => {
      if (!crash.restarting) finish(crash.error);
    });
    await consumer.subscribe([topic], { fromBeginning: true });
    await consumer.run({
      partitionsConsumedConcurrently: pending.size,
      eachBatch: async (batch) => {
        const end = pending.get(batch.partition);
        if (end === undefined) return;
        for (const record of batch.records) if (BigInt(record.offset) < end) onRecord(record);
        if (BigInt(batch.nextOffset) >= end) {
          pending.delete(batch.partition);
          if (pending.size === 0) finish();
        }
      },
    });
    const timedOut = delay(timeoutMs, stop.signal).then(() => {
      throw new KafkaConnectorError('ERR_KAFKA_CONNECTION', `readTopicToEnd(${topic})`, `did not reach the end within ${timeoutMs} ms (partitions left: ${[...pending.keys()].join(', ')})`, {
        retriable: true,
      });
    });
    await Promise.race([finished, timedOut]);
  } finally {
    stop.abort();
    signal?.removeEventListener('abort', onAbort);
    await consumer.disconnect().catch(() => undefined);
  }
}
