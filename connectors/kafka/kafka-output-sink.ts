import { ConfigError } from '../../src/errors/index.js';
import type { KafkaMessage, KafkaSender, KafkaTopicMessages } from './client.js';
import { retryRetriable } from './retry-retriable.js';

/** Options of {@link KafkaOutputSink}. */
export interface KafkaOutputSinkOptions {
  /** Sends the batches: an idempotent producer (the default client's), or an open transaction. */
  readonly producer: KafkaSender;
  /** Default topic of {@link KafkaOutputSink.write}. */
  readonly topic: string;
  /** Messages gathered before a send (default 500). */
  readonly batchSize?: number;
  /**
   * Longest a written message waits for its batch to fill before the batch is sent anyway
   * (milliseconds, default 100; `Infinity`: only full batches and {@link KafkaOutputSink.flush}
   * send). So the scores and alerts of a quiet stream reach Kafka promptly, not at its next snapshot.
   */
  readonly lingerMs?: number;
  /**
   * Told when a send started by the linger timer fails for good (nobody is waiting on it; the
   * next `write` or `flush` throws the same error).
   */
  readonly onError?: (error: unknown) => void;
  /** How long a send retries through a broker outage (default 300000 ms). */
  readonly retryTimeoutMs?: number;
  /** Stops retrying. */
  readonly signal?: AbortSignal;
}

/**
 * Batches output messages into Kafka. `write` queues (and sends a full batch, waiting for it);
 * a batch that does not fill is sent `lingerMs` after its first message; `flush` sends the rest
 * and resolves once everything written before it is acknowledged — call it before a snapshot, so
 * that the outputs of what the snapshot covers are safe first. Sends happen one at a time, in
 * write order; retriable failures (a broker outage) are retried.
 *
 * @example
 * ```ts
 * const sink = new KafkaOutputSink({ producer, topic: 'scores' });
 * for (const score of scores) await sink.write(recordScoreMessage(score));
 * await sink.flush();
 * ```
 */
export class KafkaOutputSink {
  readonly #options: KafkaOutputSinkOptions;
  readonly #batchSize: number;
  #queued: KafkaTopicMessages[] = [];
  #queuedCount = 0;
  #sending: Promise<void> = Promise.resolve();
  #sent = 0;
  #failure: { readonly error: unknown } | undefined;
  readonly #lingerMs: number;
  #lingering: NodeJS.Timeout | undefined;

  /**
   * @param options - producer, topic, batch size, linger, retry timeout, signal, background error listener.
   * @throws {ConfigError} for an empty topic, a bad batch size or a bad linger.
   */
  constructor(options: KafkaOutputSinkOptions) {
    const { batchSize = 500, lingerMs = 100 } = options;
    if (options.topic === '') throw new ConfigError('topic', 'the output topic must not be empty');
    if (!(Number.isSafeInteger(batchSize) && batchSize > 0)) throw new ConfigError('batchSize', `must be a positive integer, got ${batchSize}`);
    if (!(lingerMs >= 0)) throw new ConfigError('lingerMs', `must be a number of milliseconds ≥ 0 (or Infinity), got ${lingerMs}`);
    this.#options = options;
    this.#batchSize = batchSize;
    this.#lingerMs = lingerMs;
  }

  /** Messages acknowledged so far. */
  get sent(): number {
    return this.#sent;
  }

  /** Messages written and not yet sent. */
  get pending(): number {
    return this.#queuedCount;
  }

  /**
   * Queues a message; sends the batch when it is full (and waits for it).
   *
   * @param message - the message.
   * @param topic - its topic (default: the sink's).
   * @throws the send's error once a send failed for good (every later call throws it too).
   */
  async write(message: KafkaMessage, topic: string = this.#options.topic): Promise<void> {
    if (this.#failure !== undefined) throw this.#failure.error;
    const last = this.#queued[this.#queued.length - 1];
    if (last?.topic === topic) (last.messages as KafkaMessage[]).push(message);
    else this.#queued.push({ topic, messages: [message] });
    this.#queuedCount += 1;
    if (this.#queuedCount >= this.#batchSize) await this.flush();
    else this.#linger();
  }

  /** Sends the queued messages `lingerMs` from now, unless a flush does first. */
  #linger(): void {
    if (this.#lingering !== undefined || this.#lingerMs === Infinity) return;
    this.#lingering = setTimeout(() => {
      this.#lingering = undefined;
      if (this.#options.signal?.aborted === true) return;
      this.flush().catch((error: unknown) => this.#options.onError?.(error));
    }, this.#lingerMs);
    // Pending outputs do not keep the process alive: whoever ends the run flushes first.
    this.#lingering.unref();
  }

  /**
   * Sends what is queued and waits until every message written so far is acknowledged.
   *
   * @returns messages acknowledged in total.
   * @throws the send's error when a send failed for good.
   */
  async flush(): Promise<number> {
    clearTimeout(this.#lingering);
    this.#lingering = undefined;
    if (this.#queuedCount > 0) {
      const batch = this.#queued;
      const count = this.#queuedCount;
      this.#queued = [];
      this.#queuedCount = 0;
      this.#sending = this.#sending.then(async () => {
        if (this.#failure !== undefined) return;
        try {
          await retryRetriable(() => this.#options.producer.send(batch), {
            ...(this.#options.retryTimeoutMs === undefined ? {} : { timeoutMs: this.#options.retryTimeoutMs }),
            ...(this.#options.signal === undefined ? {} : { signal: this.#options.signal }),
          });
          this.#sent += count;
        } catch (error) {
          this.#failure = { error };
        }
      });
    }
    await this.#sending;
    if (this.#failure !== undefined) throw this.#failure.error;
    return this.#sent;
  }
}
