import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { resolveTokenMemoryConfig, type TokenMemoryConfig } from '../../src/memory/index.js';
import { chunkTokens, tokenize, type TokenizeOptions } from '../../src/pipeline/index.js';
import type { SourceRecord } from '../../src/records/index.js';
import { sampleLogRecords } from '../../src/sample/index.js';
import { pipe, tap } from '../../src/stream/index.js';
import { BACKEND_NAMES, initBackend, type BackendChoice } from '../../src/tensor/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer } from '../../src/tokenize/index.js';
import type { Command, CommandContext } from '../command.js';
import { METRICS_OPTIONS, METRICS_USAGE, startMetrics } from '../metrics-endpoint.js';
import { MEMORY_OPTIONS, memoryConfigOf } from '../memory-flags.js';
import { choiceOption, intOption, numberOption } from '../options.js';
import { formatDuration, formatRate, ProgressLine } from '../progress.js';
import { cliKafkaClient, kafkaRunFlags } from '../run/kafka-flags.js';
import { kafkaTopics } from '../run/run-kafka.js';
import { kafkaSoakRecords, produceGenerated } from '../soak/soak-kafka.js';
import { parseEndpoint } from '../source-spec.js';
import { UsageError } from '../usage-error.js';
import { soakChartSvg } from '../soak/soak-chart.js';
import { mainThreadLayer, poolLayer } from '../soak/soak-layer.js';
import { SoakRecorder } from '../soak/soak-recorder.js';
import { formatSoakSummary, summarizeSoak, type SoakReport, type SoakSample } from '../soak/soak-report.js';

const DEFAULT_TOKENS = 10_000_000;
/** Longest stretch of chunks without a turn of the event loop, milliseconds. */
const EVENT_LOOP_TURN_MS = 20;

const USAGE = `Usage: titans-stream soak [options]

Ingests an endless generated stream (the built-in sample logs), or a Kafka topic, through the
tokenizer and the Titans memory until --tokens tokens are absorbed, and records every --every tokens: throughput,
resident memory, live tensors, memory weight norms and chunk latency (p50/p99). At the end it
prints whether resident memory and tensors stayed flat after warm-up, throughput held and the
weight norms stayed bounded.

Run:
  --source <spec>        generated (default) or kafka:<topic>: the topic read from the beginning
                         through a consumer group of its own (one memory per partition; it ends
                         30 s after the last record if --tokens is not reached)
  --produce              with kafka:<topic>: first produce the generated stream to the topic
                         (created if missing), enough records for --tokens
  --brokers <list>       Kafka brokers host:port,... (default: KAFKA_BROKERS or 127.0.0.1:9092)
  --tokens <n>           tokens to absorb (default ${DEFAULT_TOKENS})
  --keys <n>             state keys generated records are spread over, round robin (default 1)
  --every <n>            tokens between samples (default: --tokens / 100)
  --seed <n>             seed of the generated logs (default 0)
  --workers <n>          worker threads the keys are sharded over; 0 = the main thread (default 0)
  --out <file>           write settings, series and summary as JSON
  --chart <file>         draw the series as an SVG chart

Memory:
  --dim <n>              embedding / memory width (default 64)
  --depth <n>            memory MLP depth, 1 = matrix memory (default 2)
  --chunk-size <n>       tokens per memory update (default 64)
  --lr <x>               inner learning rate θ (default 0.05)
  --forget <x>           forgetting rate α per chunk update, 0 = never forget (default 0.001)
  --memory-seed <n>      seed of the memory's initialisation (default 0)

Other:
  --backend <name>       auto | ${BACKEND_NAMES.join(' | ')} (default: TITANS_BACKEND or auto)
${METRICS_USAGE}
  --json                 print the summary as one JSON object on stdout
  --progress             force the progress line on (default: only on a terminal)
  -h, --help             this help`;

/** The state key of a generated record: one key, or round robin over `keys`. */
function keyFunction(keys: number): (record: SourceRecord) => string {
  if (keys === 1) return () => 'sample-logs';
  return (record) => `sample-logs/${(record.position.kind === 'stream' ? record.position.index : 0) % keys}`;
}

/** `titans-stream soak`: a long ingestion run that shows whether memory, tensors and speed stay flat. */
export const soakCommand: Command = {
  name: 'soak',
  summary: 'ingest millions of generated tokens and chart throughput, memory, tensors, weight norms',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args: context.args,
      strict: true,
      options: {
        source: { type: 'string', default: 'generated' },
        produce: { type: 'boolean', default: false },
        brokers: { type: 'string' },
        tokens: { type: 'string' },
        keys: { type: 'string' },
        every: { type: 'string' },
        workers: { type: 'string' },
        seed: { type: 'string' },
        out: { type: 'string' },
        chart: { type: 'string' },
        ...MEMORY_OPTIONS,
        forget: { type: 'string' },
        backend: { type: 'string' },
        ...METRICS_OPTIONS,
        json: { type: 'boolean', default: false },
        progress: { type: 'boolean' },
      },
    });
    const target = intOption('tokens', values.tokens, DEFAULT_TOKENS, 1);
    const source = parseEndpoint('source', values.source, ['generated', 'kafka']);
    const topic = source.kind === 'kafka' ? kafkaTopics('source', source) : undefined;
    if (topic !== undefined && topic.length > 1) throw new UsageError('--source kafka: soak reads one topic');
    if (topic !== undefined && values.keys !== undefined) throw new UsageError('--keys: a Kafka source has one memory per partition');
    if (topic === undefined && (values.produce || values.brokers !== undefined)) throw new UsageError('--produce and --brokers go with --source kafka:<topic>');
    const client = topic === undefined ? undefined : cliKafkaClient(kafkaRunFlags({ ...(values.brokers === undefined ? {} : { brokers: values.brokers }) }, context.env, undefined).brokers, context.env);
    const keys = intOption('keys', values.keys, 1, 1, 100_000);
    const seed = intOption('seed', values.seed, 0, 0);
    const workers = intOption('workers', values.workers, 0, 0, 256);
    const memoryConfig: TokenMemoryConfig = { ...memoryConfigOf(values), forget: numberOption('forget', values.forget, 0.001, 0, 1) };
    const resolved = resolveTokenMemoryConfig(memoryConfig);
    const every = intOption('every', values.every, Math.max(resolved.chunkSize, Math.round(target / 100)), 1);
    const backendChoice = values.backend === undefined ? undefined : choiceOption<BackendChoice>('backend', values.backend, ['auto', ...BACKEND_NAMES], 'auto');
    const backend = await initBackend(backendChoice === undefined ? { env: context.env } : { backend: backendChoice, env: context.env });

    const { signal } = context;
    let produced: { records: number; tokens: number } | undefined;
    if (client !== undefined && topic?.[0] !== undefined && values.produce) {
      const producing = new ProgressLine(context.stderr, values.progress);
      const began = performance.now();
      try {
        produced = await produceGenerated(client, topic[0], {
          tokens: target,
          seed,
          signal,
          onProgress: (records, tokens) => {
            const seconds = (performance.now() - began) / 1000;
            producing.update(`produce ${tokens}/${target} tokens (${records} records) to ${topic[0]}, ${formatRate(tokens / seconds)} tokens, ETA ${formatDuration(((target - tokens) * seconds) / tokens)}`);
          },
        });
      } finally {
        producing.done();
      }
    }
    const input =
      client !== undefined && topic?.[0] !== undefined
        ? kafkaSoakRecords(client, topic[0], { groupId: `titans-soak-${Date.now().toString(36)}-${process.pid}`, idleExitMs: 30_000, signal })
        : sampleLogRecords({ count: Infinity, seed, signal });
    const tokenizeOptions: TokenizeOptions = topic === undefined ? { separator: BYTE_RECORD_SEPARATOR, key: keyFunction(keys), signal } : { separator: BYTE_RECORD_SEPARATOR, signal };
    const layer = workers === 0 ? mainThreadLayer(memoryConfig, signal) : poolLayer(memoryConfig, workers, backend.name, signal);
    const metrics = await startMetrics(values, () => layer.numTensors(), context.stderr);
    const entered = new Map<string, number>();
    const chunkId = (key: string, sequence: number): string => `${key}\u0000${sequence}`;
    const events = pipe(
      input,
      tokenize(new ByteTokenizer(), tokenizeOptions),
      chunkTokens(resolved.chunkSize, { signal }),
      tap((chunk) => void entered.set(chunkId(chunk.key, chunk.sequence), performance.now()), { signal }),
      metrics.meter(layer.operator),
    );

    const progress = new ProgressLine(context.stderr, values.progress);
    const startedAt = new Date().toISOString();
    const started = performance.now();
    const recorder = new SoakRecorder(started);
    let tokens = 0;
    let records = 0;
    let nextSample = every;
    let latest: SoakSample | undefined;
    let lastTurn = performance.now();
    try {
      for await (const event of events) {
        if (event.type !== 'chunk') continue;
        const id = chunkId(event.key, event.chunk.sequence);
        const enteredAt = entered.get(id);
        entered.delete(id);
        if (enteredAt !== undefined) recorder.chunk(performance.now() - enteredAt);
        if (performance.now() - lastTurn >= EVENT_LOOP_TURN_MS) {
          // The memory computes synchronously between microtasks: let timers, signals and metrics scrapes in.
          await new Promise((resolve) => setImmediate(resolve));
          lastTurn = performance.now();
        }
        tokens += event.loss.length;
        records += event.records.length;
        const last = tokens >= target;
        if (tokens >= nextSample || last) {
          latest = await recorder.sample(tokens, records, () => layer.probe());
          while (nextSample <= tokens) nextSample += every;
        }
        const seconds = (performance.now() - started) / 1000;
        progress.update(
          `soak ${tokens}/${target} tokens (${((100 * tokens) / target).toFixed(1)}%), ${formatRate(tokens / seconds)} tokens, ` +
            (latest === undefined ? '' : `RSS ${(latest.rssBytes / 1048576).toFixed(0)} MB, ${latest.numTensors} tensors, norm ${latest.weightNorm.max.toFixed(2)}, `) +
            `${formatDuration(seconds)}, ETA ${formatDuration(((target - tokens) * seconds) / tokens)}`,
        );
        if (last) break;
      }
      if (tokens < target) context.stderr.write(`titans-stream: the source ended after ${tokens} of ${target} tokens\n`);
    } finally {
      progress.done();
      await metrics.close();
    }
    const seconds = (performance.now() - started) / 1000;
    const report: SoakReport = {
      format: 'titans-stream.soak',
      version: 1,
      startedAt,
      backend: backend.name,
      settings: { source: values.source, ...(produced === undefined ? {} : { produced }), tokens: target, keys, every, workers, seed, memory: { ...resolved } },
      samples: recorder.samples,
      summary: summarizeSoak(recorder.samples, seconds),
    };
    if (values.out !== undefined) await writeFile(values.out, JSON.stringify(report, null, 1) + '\n');
    if (values.chart !== undefined) await writeFile(values.chart, soakChartSvg(report));
    context.stdout.write(values.json ? JSON.stringify(report.summary) + '\n' : formatSoakSummary(report.summary).join('\n') + '\n');
    return 0;
  },
};
