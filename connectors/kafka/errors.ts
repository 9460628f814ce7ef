import { TitansError } from '../../src/errors/index.js';

/** Stable codes of {@link KafkaConnectorError}. */
export type KafkaErrorCode =
  /** The broker could not be reached, the connection dropped or a request timed out. */
  | 'ERR_KAFKA_CONNECTION'
  /** The broker answered with a Kafka protocol error (see `protocolType`). */
  | 'ERR_KAFKA_PROTOCOL'
  /** An operation on a partition this consumer does not own (any more), e.g. a commit after a rebalance. */
  | 'ERR_KAFKA_NOT_ASSIGNED'
  /** The consumer has stopped (disconnected or crashed for good): nothing more can be committed through it. */
  | 'ERR_KAFKA_STOPPED'
  /** A transaction's commit request failed without saying whether it took effect (exactly-once mode). */
  | 'ERR_KAFKA_COMMIT_UNKNOWN'
  /** Any other failure reported by the Kafka client. */
  | 'ERR_KAFKA';

/** Options of {@link KafkaConnectorError}. */
export interface KafkaConnectorErrorOptions {
  /** The client's own error. */
  cause?: unknown;
  /** Whether retrying the same operation later may succeed. */
  retriable?: boolean;
  /** Kafka protocol error name, e.g. `UNKNOWN_TOPIC_OR_PARTITION`, `PRODUCER_FENCED`. */
  protocolType?: string;
}

/**
 * A Kafka operation failed. Says which operation (`consumer.commitOffsets`, `producer.send`, ...),
 * on what (topic, group) and why; `retriable` tells whether trying again later may succeed.
 *
 * @example
 * ```ts
 * try { await producer.send(batch) } catch (e) {
 *   if (e instanceof KafkaConnectorError && e.protocolType === 'PRODUCER_FENCED') stop();
 *   else throw e;
 * }
 * ```
 */
export class KafkaConnectorError extends TitansError {
  /** The failed operation, e.g. `admin.createTopics`. */
  readonly operation: string;
  /** Kafka protocol error name when the broker answered with one, else `undefined`. */
  readonly protocolType: string | undefined;

  /**
   * @param code - one of {@link KafkaErrorCode}
   * @param operation - the failed operation, including its target, e.g. `producer.send(topic=alerts)`
   * @param problem - what went wrong
   * @param options - cause, retriable flag, protocol error name
   */
  constructor(code: KafkaErrorCode, operation: string, problem: string, options: KafkaConnectorErrorOptions = {}) {
    const { protocolType, ...base } = options;
    super(code, `kafka ${operation} failed: ${problem}`, base);
    this.operation = operation;
    this.protocolType = protocolType;
  }
}
