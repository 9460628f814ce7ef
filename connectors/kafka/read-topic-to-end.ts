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
  /**
   * Where to stop instead: per partition, the offset after the last record to read (partitions
   * not named are not read). By default every partition is read to the end the admin reports
   * when the call starts — for kafkajs its last stable offset, which stops short of records
   * committed after a transaction that is still open.
   */
  readonly ends?: ReadonlyMap<number, bigint>;
}

/**
 * Reads every record of `topic` from its earliest offset up to the end it had when the call
 * started (or up to `ends`), with a consumer of a throw-away group that commits nothing.
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
  const pending =
    options.ends === undefined
      ? new Map((await admin.fetchTopicOffsets(topic)).filter((e) => BigInt(e.high) > BigInt(e.low)).map((e) => [e.partition, BigInt(e.high)]))
      : new Map([...options.ends].filter(([, end]) => end > 0n));
  if (pending.size === 0) return;
  const consumer = client.consumer({ groupId: `titans-reader-${randomUUID()}`, maxWaitTimeMs: 200 });
  let finish: (error?: unknown) => void = () => undefined;
  const finished = new Promise<void>((resolve, reject) => {
    finish = (error) => (error === undefined ? resolve() : reject(error));
  });
  // Settled early (a crash or an abort before anyone waits): not an unhandled rejection.
  finished.catch(() => undefined);
  const stop = new AbortController();
  /** How far each partition was read, for the error when the end is not reached. */
  const reached = new Map<number, string>();
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
        reached.set(batch.partition, batch.nextOffset);
        for (const record of batch.records) if (BigInt(record.offset) < end) onRecord(record);
        if (BigInt(batch.nextOffset) >= end) {
          pending.delete(batch.partition);
          if (pending.size === 0) finish();
        }
      },
    });
    const timedOut = delay(timeoutMs, stop.signal).then(() => {
      throw new KafkaConnectorError('ERR_KAFKA_CONNECTION', `readTopicToEnd(${topic})`, `did not reach the end within ${timeoutMs} ms (${[...pending].map(([p, end]) => `partition ${p} read to ${reached.get(p) ?? 'nothing'} of ${end}`).join(', ')})`, {
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
