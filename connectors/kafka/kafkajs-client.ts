import type { LogEntry, logCreator } from 'kafkajs';
import { kafkajs } from './kafkajs-library.js';
import { ConfigError } from '../../src/errors/index.js';
import type { KafkaAdmin, KafkaClient, KafkaConsumer, KafkaConsumerOptions, KafkaProducer, KafkaProducerOptions } from './client.js';
import { KafkaJsAdmin } from './kafkajs-admin.js';
import { KafkaJsConsumer } from './kafkajs-consumer.js';
import { definedOnly } from './kafkajs-convert.js';
import { KafkaJsProducer } from './kafkajs-producer.js';

/** How much of kafkajs' own logging to let through. */
export type KafkaLogLevel = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

/** One log line of the Kafka client. */
export interface KafkaLogEntry {
  readonly level: Exclude<KafkaLogLevel, 'nothing'>;
  /** The client part that logged, e.g. `Consumer`, `Connection`. */
  readonly namespace: string;
  readonly message: string;
  /** Structured details (group id, broker, error...). */
  readonly extra: Readonly<Record<string, unknown>>;
}

/** Options of {@link createKafkaJsClient}. */
export interface KafkaJsClientOptions {
  /** Bootstrap brokers, `host:port`. */
  brokers: readonly string[];
  /** Client id sent to the brokers (default `titans-stream`). */
  clientId?: string;
  /** kafkajs logging (default `nothing`: kafkajs is noisy, and failures reach you as errors anyway). */
  logLevel?: KafkaLogLevel;
  /** Where log entries go (default: one JSON line each on stderr). */
  log?: (entry: KafkaLogEntry) => void;
  /** TCP connect timeout (default 1000). */
  connectionTimeoutMs?: number;
  /** Request timeout (default 30000). */
  requestTimeoutMs?: number;
}

const LEVELS = {
  nothing: kafkajs.logLevel.NOTHING,
  error: kafkajs.logLevel.ERROR,
  warn: kafkajs.logLevel.WARN,
  info: kafkajs.logLevel.INFO,
  debug: kafkajs.logLevel.DEBUG,
} as const;

const LEVEL_NAMES = new Map<number, KafkaLogEntry['level']>([
  [kafkajs.logLevel.ERROR, 'error'],
  [kafkajs.logLevel.WARN, 'warn'],
  [kafkajs.logLevel.INFO, 'info'],
  [kafkajs.logLevel.DEBUG, 'debug'],
]);

function writeToStderr(entry: KafkaLogEntry): void {
  process.stderr.write(`${JSON.stringify({ level: entry.level, namespace: entry.namespace, message: entry.message, ...entry.extra })}\n`);
}

function logCreatorFor(log: (entry: KafkaLogEntry) => void): logCreator {
  return () =>
    ({ namespace, level, log: { message, timestamp: _timestamp, ...extra } }: LogEntry) => {
      log({ level: LEVEL_NAMES.get(level) ?? 'info', namespace, message, extra });
    };
}

/**
 * A {@link KafkaClient} backed by kafkajs (the default client). Consumers never auto-commit,
 * producers are idempotent by default, and kafkajs' logging is silenced unless asked for.
 *
 * @example
 * ```ts
 * const client = createKafkaJsClient({ brokers: ['127.0.0.1:9092'], logLevel: 'warn' });
 * const admin = client.admin();
 * await admin.connect();
 * await admin.createTopics([{ topic: 'logs', numPartitions: 3 }]);
 * await admin.disconnect();
 * ```
 * @param options - brokers, client id, logging, timeouts
 * @returns the client; it opens no connection until a consumer, producer or admin connects
 * @throws {ConfigError} when `brokers` is empty
 */
export function createKafkaJsClient(options: KafkaJsClientOptions): KafkaClient {
  if (options.brokers.length === 0) throw new ConfigError('brokers', 'must list at least one host:port');
  const kafka = new kafkajs.Kafka({
    brokers: [...options.brokers],
    clientId: options.clientId ?? 'titans-stream',
    logLevel: LEVELS[options.logLevel ?? 'nothing'],
    logCreator: logCreatorFor(options.log ?? writeToStderr),
    ...definedOnly({ connectionTimeout: options.connectionTimeoutMs, requestTimeout: options.requestTimeoutMs }),
  });
  return {
    consumer: (consumerOptions: KafkaConsumerOptions): KafkaConsumer => new KafkaJsConsumer(kafka, consumerOptions),
    producer: (producerOptions: KafkaProducerOptions = {}): KafkaProducer =>
      new KafkaJsProducer(kafka, producerOptions),
    admin: (): KafkaAdmin => new KafkaJsAdmin(kafka),
  };
}
