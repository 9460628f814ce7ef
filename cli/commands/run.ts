import { stat } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { createArrowSink, type ArrowSink } from '../../connectors/arrow/index.js';
import { DirectoryMemoryStore } from '../../connectors/fs/index.js';
import { chunkTokens, tokenize } from '../../src/pipeline/index.js';
import { formatPosition, type SourcePosition, type SourceRecord } from '../../src/records/index.js';
import { sampleLogLines } from '../../src/sample/index.js';
import type { MemorySnapshot } from '../../src/snapshot/index.js';
import { pipe } from '../../src/stream/index.js';
import { BACKEND_NAMES, initBackend, type BackendChoice } from '../../src/tensor/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer } from '../../src/tokenize/index.js';
import { MemoryWorkers } from '../../src/workers/index.js';
import type { Command, CommandContext } from '../command.js';
import { layerTensors, METRICS_OPTIONS, METRICS_USAGE, startMetrics, type CliMetrics } from '../metrics-endpoint.js';
import { MEMORY_OPTIONS, memoryConfigOf } from '../memory-flags.js';
import { choiceOption, intOption } from '../options.js';
import { formatDuration, formatEta, formatRate, ProgressLine } from '../progress.js';
import { DEFAULT_MODEL_SAMPLE_RECORDS, DEFAULT_SAMPLE_RECORDS, openSource, sourceKey, SOURCE_KINDS } from '../run/open-source.js';
import { RECORD_OUTPUT_COLUMNS, recordOutputRow } from '../run/record-output.js';
import { KAFKA_RUN_OPTIONS, KAFKA_RUN_USAGE, kafkaRunFlags, type KafkaRunFlags } from '../run/kafka-flags.js';
import { openKafkaCliSink, type KafkaCliSink } from '../run/kafka-cli-sink.js';
import { kafkaTopics, runKafkaSource } from '../run/run-kafka.js';
import { defaultModelDirectory } from '../run/default-model.js';
import { memoryRunLayer, modelRunLayer, type RunLayer } from '../run/run-layer.js';
import { TopRecords } from '../run/top-records.js';
import { parseEndpoint, type EndpointSpec } from '../source-spec.js';
import { UsageError } from '../usage-error.js';

const USAGE = `Usage: titans-stream run [options]

Streams records through the tokenizer and a trained Titans model (by default the one shipped in
models/default; its neural memory keeps learning at test time), or through the untrained Titans
memory (--untrained), scores every record by its surprise, and prints a summary with the most
surprising records.

Input and output:
  --source <spec>        sample (built-in service logs with injected anomalies, default),
                         text:<file>, - (stdin), arrow:<file> (.arrows stream or .arrow file),
                         kafka:<topic>[,<topic>...] (a consumer group; see Kafka below)
  --column <name>        Arrow column holding text or tokens (default "text")
  --records <n>          records of the sample source (default ${DEFAULT_MODEL_SAMPLE_RECORDS} with a model,
                         ${DEFAULT_SAMPLE_RECORDS} with --untrained)
  --seed <n>             seed of the sample source (default 0)
  --sink <spec>          arrow:<file>: write one row per record (position, tokens, loss, surprise);
                         kafka:<topic>: one JSON score message per record (and the alerts)
  --snapshot-dir <dir>   keep memory snapshots there and resume from the latest on restart
  --snapshot-every <n>   chunks between snapshots (default 200)
  --keys <n>             spread the records of a sample/text/arrow source round robin over n
                         memories (keys <source>/0 … <source>/n-1; default 1; not with --snapshot-dir)

Workers:
  --workers <n>          worker threads the memories live on, keys sharded over them by a stable
                         hash (default: the core count, ${availableParallelism()} here, but no more than
                         --keys for a non-Kafka source); 0 = every memory in the main thread.
                         Results are the same either way. Only with --untrained: a trained model
                         runs in the main thread.

Model (the default):
  --model <dir>          a checkpoint directory written by \`titans-stream train\` (default: the
                         package's models/default, MAC trained on English); one stream of the model
                         per key; surprise = negative log-likelihood (nats)
  --chunk-size <n>       tokens per model call (default 4 segments)

Untrained memory (much faster, no model; its own memory flags):
  --untrained            the untrained byte-level Titans memory instead of a model
  --dim <n>              embedding / memory width (default 64)
  --depth <n>            memory MLP depth, 1 = matrix memory (default 2)
  --chunk-size <n>       tokens per memory update (default 64)
  --lr <x>               inner learning rate θ of the memory (default 0.05)
  --memory-seed <n>      seed of the memory's initialisation (default 0)

Other:
  --top <n>              most surprising records to list (default 5)
  --backend <name>       auto | ${BACKEND_NAMES.join(' | ')} (default: TITANS_BACKEND or auto)
  --json                 print the summary as one JSON object on stdout
  --progress             force the progress line on (default: only on a terminal)
${METRICS_USAGE}
  -h, --help             this help

${KAFKA_RUN_USAGE}`;

const SINK_EXTRA = 'cli.sink';

function parseRunArgs(args: string[]) {
  return parseArgs({
    args,
    strict: true,
    options: {
      source: { type: 'string', default: 'sample' },
      column: { type: 'string' },
      records: { type: 'string' },
      seed: { type: 'string' },
      sink: { type: 'string' },
      'snapshot-dir': { type: 'string' },
      'snapshot-every': { type: 'string' },
      ...MEMORY_OPTIONS,
      model: { type: 'string' },
      untrained: { type: 'boolean', default: false },
      top: { type: 'string' },
      backend: { type: 'string' },
      json: { type: 'boolean', default: false },
      progress: { type: 'boolean' },
      keys: { type: 'string' },
      workers: { type: 'string' },
      ...METRICS_OPTIONS,
      ...KAFKA_RUN_OPTIONS,
    },
  }).values;
}

/** The parsed flags of `run`. */
type RunValues = ReturnType<typeof parseRunArgs>;

/** `titans-stream run`: the main job. */
export const runCommand: Command = {
  name: 'run',
  summary: 'stream records through the Titans memory and report surprise',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const values = parseRunArgs(context.args);
    const source = parseEndpoint('source', values.source, [...SOURCE_KINDS, 'kafka']);
    const sinkSpec = values.sink === undefined ? undefined : parseEndpoint('sink', values.sink, ['arrow', 'kafka']);
    const modelDir = chosenModel(values);
    values.records ??= String(modelDir === undefined ? DEFAULT_SAMPLE_RECORDS : DEFAULT_MODEL_SAMPLE_RECORDS);
    const memoryConfig = memoryConfigOf(values);
    const snapshotEvery = intOption('snapshot-every', values['snapshot-every'], 200);
    const topCount = intOption('top', values.top, 5, 0, 1000);
    const backendChoice = values.backend === undefined ? undefined : choiceOption<BackendChoice>('backend', values.backend, ['auto', ...BACKEND_NAMES], 'auto');
    const backend = await initBackend(backendChoice === undefined ? { env: context.env } : { backend: backendChoice, env: context.env });
    const kafkaTopicsOfSource = source.kind === 'kafka' ? kafkaTopics('source', source) : undefined;
    const kafkaFlags = source.kind === 'kafka' || sinkSpec?.kind === 'kafka' ? kafkaRunFlags(values, context.env, kafkaTopicsOfSource?.[0]) : undefined;
    const keyCount = intOption('keys', values.keys, 1, 1, 100_000);
    if (source.kind === 'kafka' && values.keys !== undefined) throw new UsageError('--keys: a Kafka source has one memory per partition');
    if (keyCount > 1 && values['snapshot-dir'] !== undefined) throw new UsageError('--keys > 1 cannot resume from --snapshot-dir (one memory per source only)');
    const workerCount = modelDir !== undefined ? 0 : intOption('workers', values.workers, source.kind === 'kafka' ? availableParallelism() : Math.min(availableParallelism(), keyCount), 0, 256);
    const chunkSizeFlag = values['chunk-size'] === undefined ? undefined : intOption('chunk-size', values['chunk-size'], 64, 1, 65_536);
    // Bad memory flags fail in the pool's constructor (before any thread starts) or in memoryRunLayer.
    const pool = workerCount === 0 ? undefined : new MemoryWorkers({ workers: workerCount, memory: memoryConfig, backend: backend.name });
    const runLayer = modelDir === undefined ? memoryRunLayer(memoryConfig, pool) : await modelRunLayer(modelDir, chunkSizeFlag);
    try {
      const metrics = await startMetrics(values, layerTensors(pool), context.stderr);
      try {
        if (kafkaTopicsOfSource !== undefined && kafkaFlags !== undefined) {
          return await runKafkaSource({
            context,
            sourceLabel: values.source,
            topics: kafkaTopicsOfSource,
            flags: kafkaFlags,
            layer: runLayer,
            backend: backend.name,
            snapshotEvery,
            snapshotDir: values['snapshot-dir'],
            sink: sinkSpec,
            json: values.json,
            progress: values.progress,
            workers: pool?.size ?? 0,
            metrics,
          });
        }
        return await runLocal(context, values, { source, sinkSpec, kafkaFlags, runLayer, backend: backend.name, snapshotEvery, topCount, keyCount, pool, metrics });
      } finally {
        await metrics.close();
      }
    } finally {
      await pool?.close();
      runLayer.dispose();
    }
  },
};

/**
 * The checkpoint directory to run (`--model`, else the package's default model), or `undefined`
 * for the untrained memory (`--untrained`).
 *
 * @throws {UsageError} for flags that do not fit the choice.
 */
function chosenModel(values: RunValues): string | undefined {
  if (values.untrained) {
    if (values.model !== undefined) throw new UsageError('--model and --untrained exclude each other: a trained model or the untrained memory');
    return undefined;
  }
  const memoryFlags = (['dim', 'depth', 'lr', 'memory-seed'] as const).filter((f) => values[f] !== undefined);
  if (memoryFlags.length > 0) throw new UsageError(`${memoryFlags.map((f) => `--${f}`).join(', ')} ${memoryFlags.length === 1 ? 'shapes' : 'shape'} the untrained memory: add --untrained (the default is the trained model)`);
  if (values.workers !== undefined && values.workers !== '0') throw new UsageError('--workers: a trained model runs in the main thread; add --untrained for the memory on worker threads, or give --workers 0');
  if (values.model === '') throw new UsageError('--model needs a checkpoint directory');
  const dir = values.model ?? defaultModelDirectory();
  if (dir === undefined) throw new UsageError('this installation has no models/default: give --model <dir> or --untrained');
  return dir;
}

/** The parsed flags `runLocal` needs. */
interface LocalRun {
  readonly source: EndpointSpec;
  readonly sinkSpec: EndpointSpec | undefined;
  readonly kafkaFlags: KafkaRunFlags | undefined;
  /** The untrained memory (on the pool's workers when there is a pool) or a trained model. */
  readonly runLayer: RunLayer;
  readonly backend: string;
  readonly snapshotEvery: number;
  readonly topCount: number;
  readonly keyCount: number;
  readonly pool: MemoryWorkers | undefined;
  readonly metrics: CliMetrics;
}

/** The state key of each record: the source's, or round robin over `keys` sub-keys. */
function keyFunction(key: string, keys: number): (record: SourceRecord) => string {
  if (keys === 1) return () => key;
  let index = 0;
  return () => `${key}/${index++ % keys}`;
}

/**
 * How far into the input a record is (0–1), for the ETA: known for the sample (record index of
 * --records) and a text file (byte offset of its size); undefined otherwise.
 */
async function shareDone(source: EndpointSpec, values: RunValues): Promise<((position: SourcePosition) => number) | undefined> {
  if (source.kind === 'sample') {
    const count = intOption('records', values.records, DEFAULT_SAMPLE_RECORDS);
    return (p) => (p.kind === 'stream' ? (p.index + 1) / count : 0);
  }
  if (source.kind !== 'text' || source.target === '-') return undefined;
  const size = (await stat(source.target)).size;
  return (p) => (p.kind === 'text' && size > 0 ? p.byteOffset / size : 0);
}

/** `run` over a sample, text or Arrow source. */
async function runLocal(context: CommandContext, values: RunValues, run: LocalRun): Promise<number> {
  const { source, sinkSpec, kafkaFlags, runLayer, snapshotEvery, topCount, pool, metrics } = run;
  const key = sourceKey(source);
  const store = values['snapshot-dir'] === undefined ? undefined : new DirectoryMemoryStore(values['snapshot-dir']);
  const resumeFrom: MemorySnapshot | undefined = await store?.load(key, { config: runLayer.config });
  const sinkCheckpoint = resumeFrom?.extra?.[SINK_EXTRA] as { batches: number } | undefined;
  let sink: ArrowSink | undefined;
  let kafkaSink: KafkaCliSink | undefined;
  if (sinkSpec?.kind === 'kafka' && kafkaFlags !== undefined) kafkaSink = await openKafkaCliSink(kafkaFlags, kafkaTopics('sink', sinkSpec)[0] as string, context.env);
  else if (sinkSpec !== undefined) {
    sink = await createArrowSink(sinkSpec.target, {
      columns: RECORD_OUTPUT_COLUMNS,
      ...(resumeFrom === undefined ? { mode: 'create' } : { mode: 'append', keepBatches: sinkCheckpoint?.batches ?? 0 }),
      fsync: store !== undefined,
    });
  }

  const records = openSource(source, values, resumeFrom?.covers, context.signal);
  const layerOptions = {
    signal: context.signal,
    ...(store === undefined ? {} : { store, snapshots: { everyChunks: snapshotEvery } }),
    ...(sink === undefined ? {} : { beforeSnapshot: async () => ({ [SINK_EXTRA]: await sink.flush() }) }),
    ...(kafkaSink === undefined ? {} : { beforeSnapshot: async () => void (await kafkaSink.flush()) }),
  };
  const events = pipe(
    records,
    tokenize(new ByteTokenizer(), { separator: runLayer.recordSeparator ?? BYTE_RECORD_SEPARATOR, key: keyFunction(key, run.keyCount) }),
    chunkTokens(runLayer.chunkSize),
    metrics.meter(runLayer.layer(layerOptions)),
  );

  const progress = new ProgressLine(context.stderr, values.progress);
  const share = await shareDone(source, values);
  let firstShare: number | undefined;
  let eta = '';
  const top = new TopRecords(topCount);
  const started = performance.now();
  let tokens = 0;
  let recordsScored = 0;
  let lossSum = 0;
  let recentLoss = NaN;
  try {
    for await (const event of events) {
      if (event.type !== 'chunk') continue;
      tokens += event.loss.length;
      for (const l of event.loss) lossSum += l;
      const chunkMean = event.loss.reduce((a, b) => a + b, 0) / Math.max(1, event.loss.length);
      recentLoss = Number.isNaN(recentLoss) ? chunkMean : 0.98 * recentLoss + 0.02 * chunkMean;
      for (const score of event.records) {
        recordsScored += 1;
        top.add(score);
        await sink?.write(recordOutputRow(score));
        await kafkaSink?.write(score);
      }
      const seconds = (performance.now() - started) / 1000;
      const last = event.records.at(-1);
      if (share !== undefined && last !== undefined) {
        const done = share(last.record.position);
        firstShare ??= done;
        eta = formatEta(done, seconds, firstShare);
      }
      progress.update(`${recordsScored} records, ${tokens} tokens, ${formatRate(tokens / seconds)} tokens, surprise ${recentLoss.toFixed(4)}, ${formatDuration(seconds)}${eta}`);
    }
    await sink?.close();
    await kafkaSink?.flush();
  } catch (error) {
    // Keep the outputs of everything processed before the failure (bad input stops the run, it does not erase it).
    await sink?.close().catch(() => sink?.abort(error));
    await kafkaSink?.flush().catch(() => undefined);
    throw error;
  } finally {
    progress.done();
    await kafkaSink?.close();
  }
  const seconds = (performance.now() - started) / 1000;
  const anomalies = source.kind === 'sample' ? new Set([...sampleLogLines({ count: intOption('records', values.records, DEFAULT_SAMPLE_RECORDS), seed: intOption('seed', values.seed, 0, 0) })].filter((l) => l.anomaly).map((l) => l.index)) : undefined;
  const topList = top.list().map((s) => ({
    position: s.record.position,
    meanLoss: s.meanLoss,
    maxSurprise: s.maxSurprise,
    text: typeof s.record.value === 'string' ? s.record.value : new TextDecoder().decode(s.record.value),
    ...(anomalies === undefined || s.record.position.kind !== 'stream' ? {} : { injectedAnomaly: anomalies.has(s.record.position.index) }),
  }));
  const summary = {
    source: values.source,
    backend: run.backend,
    workers: pool?.size ?? 0,
    keys: run.keyCount,
    records: recordsScored,
    tokens,
    seconds,
    tokensPerSec: tokens / seconds,
    meanLoss: lossSum / Math.max(1, tokens),
    resumed: resumeFrom === undefined ? null : { tokensSeen: resumeFrom.state.tokensSeen, at: resumeFrom.covers?.position ?? null },
    ...runLayer.summary,
    ...(runLayer.nll ? { bitsPerByte: lossSum / Math.max(1, tokens) / Math.LN2 } : {}),
    mostSurprising: topList,
  };
  if (values.json) {
    context.stdout.write(JSON.stringify(summary) + '\n');
    return 0;
  }
  const lines = [
    `source    ${summary.source}${resumeFrom === undefined ? '' : ` (resumed after ${resumeFrom.state.tokensSeen} tokens)`}`,
    `backend   ${summary.backend}, ${summary.workers === 0 ? 'main thread' : `${summary.workers} worker thread(s)`}`,
    `${runLayer.line}${run.keyCount === 1 ? '' : `, ${run.keyCount} keys`}`,
    `tokens    ${tokens} in ${recordsScored} records`,
    `time      ${formatDuration(seconds)} (${formatRate(summary.tokensPerSec)} tokens)`,
    runLayer.nll
      ? `surprise  mean negative log-likelihood ${summary.meanLoss.toFixed(4)} nats (${(summary.meanLoss / Math.LN2).toFixed(3)} bits/byte)`
      : `surprise  mean per-token loss ${summary.meanLoss.toFixed(4)}`,
  ];
  if (topList.length > 0) {
    lines.push('', `most surprising records (mean loss, position${anomalies ? ', injected anomaly?' : ''}):`);
    for (const t of topList) {
      const mark = t.injectedAnomaly === undefined ? '' : t.injectedAnomaly ? ' [anomaly]' : ' [normal]';
      const text = t.text.length > 100 ? `${t.text.slice(0, 97)}...` : t.text;
      lines.push(`  ${t.meanLoss.toFixed(4)}  ${formatPosition(t.position)}${mark}  ${JSON.stringify(text)}`);
    }
    if (anomalies) {
      const hits = topList.filter((t) => t.injectedAnomaly).length;
      lines.push(`  ${hits} of the top ${topList.length} are injected anomalies (${anomalies.size} injected in ${summary.records} records)`);
    }
  }
  context.stdout.write(lines.join('\n') + '\n');
  return 0;
}
