import { createArrowSink, type ArrowSink } from '../../connectors/arrow/index.js';
import { DirectoryMemoryStore } from '../../connectors/fs/index.js';
import { runKafkaPipeline, type KafkaClient, type KafkaPartitionProgress, type KafkaPipelineStats } from '../../connectors/kafka/index.js';
import type { SurpriseAlertsOptions } from '../../src/pipeline/index.js';
import type { CommandContext } from '../command.js';
import { kafkaLagGauge, type CliMetrics } from '../metrics-endpoint.js';
import { formatDuration, formatRate, ProgressLine } from '../progress.js';
import type { EndpointSpec } from '../source-spec.js';
import { UsageError } from '../usage-error.js';
import { arrowMemoryOutputs } from './arrow-memory-outputs.js';
import { cliKafkaClient, type KafkaRunFlags } from './kafka-flags.js';
import { RECORD_OUTPUT_COLUMNS } from './record-output.js';
import type { RunLayer } from './run-layer.js';

/** What `run --source kafka:…` needs. */
export interface KafkaRunInput {
  readonly context: CommandContext;
  /** The `--source` value, for the summary. */
  readonly sourceLabel: string;
  readonly topics: readonly string[];
  readonly flags: KafkaRunFlags;
  /** The untrained memory or a trained model. */
  readonly layer: RunLayer;
  readonly backend: string;
  readonly snapshotEvery: number;
  readonly snapshotDir: string | undefined;
  readonly sink: EndpointSpec | undefined;
  readonly json: boolean;
  readonly progress: boolean | undefined;
  /** How many worker threads the layer's memories live on (0: the main thread), for the summary. */
  readonly workers: number;
  /** The metrics endpoint (the layer meter, plus the consumer lag here). */
  readonly metrics: CliMetrics;
}

/** Splits `kafka:<topic>[,<topic>...]`. */
export function kafkaTopics(flag: string, spec: EndpointSpec): string[] {
  const topics = spec.target
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  if (topics.length === 0) throw new UsageError(`--${flag} kafka: needs a topic, e.g. kafka:logs`);
  return topics;
}

/** Creates the topics the run writes to that do not exist yet (with the broker's defaults). */
export async function ensureTopics(client: KafkaClient, topics: readonly (string | undefined)[]): Promise<void> {
  const wanted = [...new Set(topics.filter((t): t is string => t !== undefined))];
  if (wanted.length === 0) return;
  const admin = client.admin();
  await admin.connect();
  try {
    await admin.createTopics(wanted.map((topic) => ({ topic })));
  } finally {
    await admin.disconnect();
  }
}

function progressText(stats: KafkaPipelineStats, rates: { records: number; tokens: number }, partitions: readonly KafkaPartitionProgress[]): string {
  const lags = partitions.map((p) => p.lag).filter((l): l is number => l !== undefined);
  const lag = lags.length === 0 ? '-' : String(lags.reduce((a, b) => a + b, 0));
  return `${stats.records} records (${formatRate(rates.records)}), ${stats.tokens} tokens (${formatRate(rates.tokens)}), lag ${lag}, ${partitions.length} partition(s), ${stats.alerts} alerts, ${formatDuration(stats.seconds)}`;
}

/**
 * `run --source kafka:<topic>`: the Titans memory or a trained model over a consumer group's
 * partitions (one memory or model stream per partition, snapshots to a compacted topic or `--snapshot-dir`), outputs to `--sink`
 * (kafka:<topic> JSON, or arrow:<file> rows appended), until SIGINT/SIGTERM or `--idle-exit-ms`;
 * both end gracefully (final snapshots, commits, leave the group).
 *
 * @returns the exit code.
 */
export async function runKafkaSource(input: KafkaRunInput): Promise<number> {
  const { context, flags, sink } = input;
  if (sink !== undefined && sink.kind !== 'kafka' && sink.kind !== 'arrow') throw new UsageError(`--sink ${sink.kind}: not supported with a Kafka source`);
  if (flags.exactlyOnce && sink?.kind !== 'kafka') throw new UsageError('--exactly-once needs --sink kafka:<topic>');
  if (flags.exactlyOnce && input.snapshotDir !== undefined) throw new UsageError('--exactly-once keeps its snapshots in the Kafka transactions (--snapshot-topic): drop --snapshot-dir');
  const outputTopic = sink?.kind === 'kafka' ? kafkaTopics('sink', sink)[0] : undefined;
  if (sink?.kind === 'arrow' && sink.target === '') throw new UsageError('--sink arrow: needs a file, e.g. arrow:scores.arrows');
  const client = cliKafkaClient(flags.brokers, context.env);
  await ensureTopics(client, [outputTopic, outputTopic === undefined ? undefined : flags.alertTopic, flags.deadLetterTopic]);

  let arrow: ArrowSink | undefined;
  // A restart appends after the complete batches already there: outputs are at least once.
  if (sink?.kind === 'arrow') arrow = await createArrowSink(sink.target, { columns: RECORD_OUTPUT_COLUMNS, mode: 'append', fsync: true });
  const alerts: Omit<SurpriseAlertsOptions, 'signal'> | undefined =
    flags.alertQuantile === undefined && flags.alertThreshold === undefined
      ? undefined
      : { ...(flags.alertQuantile === undefined ? {} : { quantile: flags.alertQuantile }), ...(flags.alertThreshold === undefined ? {} : { threshold: flags.alertThreshold }) };
  const run = runKafkaPipeline({
    client,
    groupId: flags.groupId,
    topics: input.topics,
    layer: input.layer,
    wrapLayer: input.metrics.meter,
    snapshotTopic: flags.snapshotTopic,
    ...(input.snapshotDir === undefined ? {} : { store: new DirectoryMemoryStore(input.snapshotDir) }),
    snapshots: { everyChunks: input.snapshotEvery, everyMs: 10_000 },
    ...(outputTopic === undefined ? {} : { output: { topic: outputTopic, ...(flags.alertTopic === undefined ? {} : { alertTopic: flags.alertTopic }) } }),
    ...(arrow === undefined ? {} : { outputs: arrowMemoryOutputs(arrow) }),
    ...(alerts === undefined ? {} : { alerts }),
    exactlyOnce: flags.exactlyOnce,
    source: {
      badRecords: flags.badRecords,
      ...(flags.deadLetterTopic === undefined ? {} : { deadLetterTopic: flags.deadLetterTopic }),
      maxRecordBytes: flags.maxRecordBytes,
      fromBeginning: flags.fromBeginning,
      ...(flags.idleExitMs === undefined ? {} : { idleExitMs: flags.idleExitMs }),
      consumer: { maxWaitTimeMs: 500, sessionTimeoutMs: flags.sessionTimeoutMs, heartbeatIntervalMs: Math.min(3000, Math.floor(flags.sessionTimeoutMs / 3)) },
    },
    onWarning: (message, error) => context.stderr.write(`titans-stream: ${message}${error === undefined ? '' : `: ${error instanceof Error ? error.message : String(error)}`}\n`),
  });

  if (input.metrics.registry !== undefined) kafkaLagGauge(input.metrics.registry, () => run.progress());
  // SIGINT/SIGTERM end the run gracefully (a second one kills the process).
  const stop = (): void => void run.stop();
  if (context.signal.aborted) stop();
  else context.signal.addEventListener('abort', stop, { once: true });
  const progress = new ProgressLine(context.stderr, input.progress);
  let last = { at: performance.now(), records: 0, tokens: 0 };
  const timer = setInterval(() => {
    const stats = run.stats();
    const now = performance.now();
    const seconds = Math.max(1e-3, (now - last.at) / 1000);
    const rates = { records: (stats.records - last.records) / seconds, tokens: (stats.tokens - last.tokens) / seconds };
    last = { at: now, records: stats.records, tokens: stats.tokens };
    progress.update(progressText(stats, rates, run.progress()), true);
  }, 1000);
  let stats: KafkaPipelineStats;
  try {
    stats = await run.done;
    await arrow?.close();
  } catch (error) {
    await arrow?.abort(error);
    throw error;
  } finally {
    clearInterval(timer);
    progress.done();
    context.signal.removeEventListener('abort', stop);
  }

  const summary = {
    source: input.sourceLabel,
    backend: input.backend,
    workers: input.workers,
    group: flags.groupId,
    topics: input.topics,
    mode: flags.exactlyOnce ? 'exactly-once' : 'at-least-once',
    ...stats,
    tokensPerSec: stats.tokens / Math.max(1e-9, stats.seconds),
    ...input.layer.summary,
  };
  if (input.json) {
    context.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  }
  context.stdout.write(
    [
      `source    ${summary.source} (group ${summary.group}, ${summary.mode})`,
      `backend   ${summary.backend}, ${summary.workers === 0 ? 'main thread' : `${summary.workers} worker thread(s)`}`,
      `${input.layer.line}, one per partition`,
      `tokens    ${stats.tokens} in ${stats.records} records`,
      `time      ${formatDuration(stats.seconds)} (${formatRate(summary.tokensPerSec)} tokens)`,
      `snapshots ${stats.snapshots}, commits ${stats.commits}, alerts ${stats.alerts}, dead letters ${stats.deadLettered}, partitions revoked ${stats.revocations}`,
    ].join('\n') + '\n',
  );
  return 0;
}
