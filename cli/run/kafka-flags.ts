import { BAD_RECORD_POLICIES, createKafkaJsClient, type BadRecordPolicy, type KafkaClient, type KafkaLogLevel } from '../../connectors/kafka/index.js';
import { choiceOption, intOption, numberOption } from '../options.js';
import { UsageError } from '../usage-error.js';

/** The `run` flags of the Kafka source and sink, for `parseArgs`. */
export const KAFKA_RUN_OPTIONS = {
  brokers: { type: 'string' },
  group: { type: 'string' },
  'idle-exit-ms': { type: 'string' },
  'snapshot-topic': { type: 'string' },
  'alert-topic': { type: 'string' },
  'alert-quantile': { type: 'string' },
  'alert-threshold': { type: 'string' },
  'bad-records': { type: 'string' },
  'dead-letter-topic': { type: 'string' },
  'max-record-bytes': { type: 'string' },
  'exactly-once': { type: 'boolean' },
  'from-latest': { type: 'boolean' },
  'session-timeout-ms': { type: 'string' },
} as const;

/** Their help text. */
export const KAFKA_RUN_USAGE = `Kafka (--source kafka:<topic>[,<topic>...], --sink kafka:<topic>):
  --brokers <list>       bootstrap brokers host:port,... (default: KAFKA_BROKERS or 127.0.0.1:9092)
  --group <id>           consumer group (default titans-stream); one memory per partition, the
                         group's members share the partitions and hand the memories over
  --snapshot-topic <t>   compacted topic of the memories (default titans-snapshots); with
                         --snapshot-dir the memories go to that directory instead
  --idle-exit-ms <n>     end (final snapshots, commit) after n ms without records; default: run
                         until SIGINT/SIGTERM, which end the same way
  --alert-topic <t>      alerts go there (default: the sink topic, next to the scores)
  --alert-quantile <q>   alert on records above this quantile of their partition's recent scores
  --alert-threshold <x>  alert on records whose mean loss exceeds x
  --bad-records <p>      dead-letter | fail (default fail): tombstones, empty, non-UTF-8, oversize
  --dead-letter-topic <t> where dead-letter sends bad records (default <first topic>.dlq)
  --max-record-bytes <n> larger records are bad (default 1048576)
  --exactly-once         outputs, snapshots and offsets commit together (Kafka transactions);
                         default at-least-once
  --from-latest          partitions without a committed offset start at the end, not the beginning
  --session-timeout-ms <n> the group gives a silent member's partitions to others after n ms
                         (default 30000; a restart after a crash waits this long for its partitions)
  Environment: TITANS_KAFKA_LOG=error|warn|info|debug shows the Kafka client's log.`;

/** Parsed Kafka flags. */
export interface KafkaRunFlags {
  readonly brokers: string[];
  readonly groupId: string;
  readonly idleExitMs: number | undefined;
  readonly snapshotTopic: string;
  readonly alertTopic: string | undefined;
  readonly alertQuantile: number | undefined;
  readonly alertThreshold: number | undefined;
  readonly badRecords: BadRecordPolicy;
  readonly deadLetterTopic: string | undefined;
  readonly maxRecordBytes: number;
  readonly exactlyOnce: boolean;
  readonly fromBeginning: boolean;
  readonly sessionTimeoutMs: number;
}

type Values = { readonly [K in keyof typeof KAFKA_RUN_OPTIONS]?: (typeof KAFKA_RUN_OPTIONS)[K]['type'] extends 'boolean' ? boolean : string };

/**
 * Reads the Kafka flags.
 *
 * @throws {UsageError} for bad values.
 */
export function kafkaRunFlags(values: Values, env: NodeJS.ProcessEnv, firstTopic: string | undefined): KafkaRunFlags {
  const brokers = (values.brokers ?? env['KAFKA_BROKERS'] ?? '127.0.0.1:9092')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  if (brokers.length === 0 || brokers.some((b) => !/^[^:\s]+:\d+$/.test(b))) throw new UsageError(`--brokers must be host:port[,host:port...], got "${values.brokers ?? ''}"`);
  const badRecords = choiceOption<BadRecordPolicy>('bad-records', values['bad-records'], BAD_RECORD_POLICIES, 'fail');
  const idle = values['idle-exit-ms'];
  return {
    brokers,
    groupId: values.group ?? 'titans-stream',
    idleExitMs: idle === undefined ? undefined : intOption('idle-exit-ms', idle, 0, 1),
    snapshotTopic: values['snapshot-topic'] ?? 'titans-snapshots',
    alertTopic: values['alert-topic'],
    alertQuantile: values['alert-quantile'] === undefined ? undefined : numberOption('alert-quantile', values['alert-quantile'], 0.99, 0.000001, 0.999999),
    alertThreshold: values['alert-threshold'] === undefined ? undefined : numberOption('alert-threshold', values['alert-threshold'], 0),
    badRecords,
    deadLetterTopic: badRecords === 'dead-letter' ? (values['dead-letter-topic'] ?? (firstTopic === undefined ? undefined : `${firstTopic}.dlq`)) : undefined,
    maxRecordBytes: intOption('max-record-bytes', values['max-record-bytes'], 1 << 20, 1),
    exactlyOnce: values['exactly-once'] === true,
    fromBeginning: values['from-latest'] !== true,
    sessionTimeoutMs: intOption('session-timeout-ms', values['session-timeout-ms'], 30_000, 1000, 3_600_000),
  };
}

/** The Kafka client of the CLI (kafkajs), quiet unless TITANS_KAFKA_LOG asks. */
export function cliKafkaClient(brokers: readonly string[], env: NodeJS.ProcessEnv): KafkaClient {
  const level = env['TITANS_KAFKA_LOG'];
  const logLevel: KafkaLogLevel = level === 'error' || level === 'warn' || level === 'info' || level === 'debug' ? level : 'nothing';
  return createKafkaJsClient({ brokers, clientId: 'titans-stream-cli', logLevel });
}
