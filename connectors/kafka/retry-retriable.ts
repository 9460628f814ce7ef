import { TitansError } from '../../src/errors/index.js';
import { delay as wait } from './delay.js';
import { KafkaConnectorError } from './errors.js';

/** Options of {@link retryRetriable}. */
export interface RetryOptions {
  /** Give up (rethrow the last error) once this long has passed (default 300000: a broker restart fits). */
  readonly timeoutMs?: number;
  /** First pause between attempts (default 200); doubles up to `maxDelayMs`. */
  readonly initialDelayMs?: number;
  /** Longest pause between attempts (default 5000). */
  readonly maxDelayMs?: number;
  /** Stops waiting: the pending pause rejects with the signal's reason. */
  readonly signal?: AbortSignal;
  /** Told about each failed attempt that will be retried. */
  readonly onRetry?: (error: unknown, attempt: number) => void;
}

/**
 * Whether trying again later may succeed: a {@link TitansError} marked `retriable`, or any Kafka
 * connection failure (`ERR_KAFKA_CONNECTION`: the broker was unreachable or the connection
 * dropped) — kafkajs reports those as final once its own retries are used up, but a broker that
 * restarts comes back.
 */
export function isRetriable(error: unknown): boolean {
  return (error instanceof TitansError && error.retriable) || (error instanceof KafkaConnectorError && error.code === 'ERR_KAFKA_CONNECTION');
}

/**
 * Runs `operation` until it succeeds, retrying retriable failures (a broker outage, a leader
 * election) with exponential backoff until `timeoutMs`. Non-retriable failures are thrown at once.
 * Use it only for operations that are safe to repeat (idempotent sends, commits, reads).
 *
 * @example
 * ```ts
 * await retryRetriable(() => producer.send(batch), { timeoutMs: 120_000, signal });
 * ```
 * @param operation - the attempt.
 * @param options - timeout, backoff, signal, retry listener.
 * @returns what `operation` resolves to.
 * @throws the last error once it is not retriable or time is up; `signal.reason` on abort.
 */
export async function retryRetriable<T>(operation: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { timeoutMs = 300_000, initialDelayMs = 200, maxDelayMs = 5000, signal } = options;
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1, delay = initialDelayMs; ; attempt++, delay = Math.min(delay * 2, maxDelayMs)) {
    signal?.throwIfAborted();
    try {
      return await operation();
    } catch (error) {
      if (!isRetriable(error) || Date.now() + delay > deadline || signal?.aborted === true) throw error;
      options.onRetry?.(error, attempt);
      await wait(delay, signal);
    }
  }
}
