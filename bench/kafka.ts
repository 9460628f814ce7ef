/**
 * Benchmark of the Kafka pipeline: end-to-end tokens/s (Kafka topic → one Titans memory per
 * partition → JSON scores on a Kafka topic, snapshots and offset commits included) next to the
 * memory alone on the same records (same tokenizer, chunking and per-partition memories, no
 * Kafka), and the consumer lag over time. The memory-alone run is measured before and after the
 * Kafka runs and averaged, because these machines are shared and noisy; ratios compare numbers
 * of the same run.
 *
 * Output: JSON lines — `produce`, `memory-alone` (twice), per mode `lag` samples every
 * `--sample-ms` (committed lag from the group's offsets, delivered lag from the pipeline) and an
 * `end-to-end` line, then `summary` with the ratios.
 *
 * Run: `npx tsx bench/kafka.ts [--records 3000] [--dim 64] [--chunk-size 64] [--modes at-least-once,exactly-once]`
 * against `KAFKA_BROKERS` or 127.0.0.1:9092 (`npm run kafka:start`). TITANS_BACKEND picks the backend.
 */
import { parseArgs } from 'node:util';
import { createKafkaJsClient, runKafkaPipeline, type KafkaAdmin } from '../connectors/kafka/index.js';
import type { TokenMemoryConfig } from '../src/memory/index.js';
import { chunkTokens, neuralMemory, tokenize } from '../src/pipeline/index.js';
import type { SourceRecord } from '../src/records/index.js';
import { sampleLogLines } from '../src/sample/index.js';
import { fromIterable, pipe } from '../src/stream/index.js';
import { initBackend } from '../src/tensor/index.js';
import { BYTE_RECORD_SEPARATOR, BYTE_VOCAB_SIZE, ByteTokenizer } from '../src/tokenize/index.js';
import { ProgressLine } from '../cli/progress.js';

const { values } = parseArgs({
  options: {
    brokers: { type: 'string', default: process.env.KAFKA_BROKERS ?? '127.0.0.1:9092' },
    records: { type: 'string', default: '3000' },
    partitions: { type: 'string', default: '3' },
    dim: { type: 'string', default: '64' },
    'chunk-size': { type: 'string', default: '64' },
    modes: { type: 'string', default: 'at-least-once,exactly-once' },
    'sample-ms': { type: 'string', default: '500' },
  },
});
const count = Number(values.records);
const partitions = Number(values.partitions);
const memory: TokenMemoryConfig = { vocabSize: BYTE_VOCAB_SIZE, dim: Number(values.dim), chunkSize: Number(values['chunk-size']), learningRate: 0.05, seed: 1 };
const modes = values.modes.split(',').map((m) => m.trim());
const sampleMs = Number(values['sample-ms']);
const emit = (line: Record<string, unknown>): void => console.log(JSON.stringify(line));

const backend = await initBackend();
const run = Date.now().toString(36);
const client = createKafkaJsClient({ brokers: values.brokers.split(','), clientId: 'titans-bench' });
const admin = client.admin();
await admin.connect();
const topic = `bench-${run}.logs`;
await admin.createTopics([{ topic, numPartitions: partitions }]);

// The records: sample logs, line i to partition i mod partitions.
const lines = [...sampleLogLines({ count, seed: 7 })].map((l) => l.line);
const encoder = new TextEncoder();
const byPartition: SourceRecord[][] = Array.from({ length: partitions }, () => []);
lines.forEach((line, i) => {
  const partition = i % partitions;
  const records = byPartition[partition] as SourceRecord[];
  records.push({ value: encoder.encode(line), position: { kind: 'kafka', topic, partition, offset: String(records.length) } });
});
const tokens = lines.reduce((n, l) => n + encoder.encode(l).length + 1, 0);
{
  const producer = client.producer();
  await producer.connect();
  const t0 = performance.now();
  for (let start = 0; start < lines.length; start += 1000) {
    await producer.send([{ topic, messages: lines.slice(start, start + 1000).map((value, j) => ({ value, partition: (start + j) % partitions })) }]);
  }
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  emit({ type: 'produce', backend: backend.name, topic, partitions, records: count, tokens, seconds, recordsPerSec: count / seconds });
}

/** The memories alone over the same records (or the first `limit` of each partition, for a warm-up): tokens/s. */
async function memoryAlone(limit = Infinity): Promise<number> {
  const t0 = performance.now();
  let absorbed = 0;
  for (const all of byPartition) {
    const records = all.slice(0, limit);
    const events = pipe(fromIterable(records), tokenize(new ByteTokenizer(), { separator: BYTE_RECORD_SEPARATOR }), chunkTokens(memory.chunkSize ?? 64), neuralMemory({ memory }));
    for await (const event of events) if (event.type === 'chunk') absorbed += event.loss.length;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (limit === Infinity) emit({ type: 'memory-alone', tokens: absorbed, seconds, tokensPerSec: absorbed / seconds });
  return absorbed / seconds;
}

async function groupLag(a: KafkaAdmin, groupId: string): Promise<number> {
  const [ends, committed] = await Promise.all([a.fetchTopicOffsets(topic), a.fetchOffsets(groupId, [topic])]);
  return ends.reduce((lag, e) => lag + Number(BigInt(e.high) - BigInt(committed.find((c) => c.partition === e.partition)?.offset ?? e.low)), 0);
}

/** The whole Kafka pipeline in one mode: tokens/s from its start to its last scored chunk, and the lag over time. */
async function endToEnd(mode: string): Promise<number> {
  const groupId = `bench-${run}.${mode}`;
  const outputTopic = `bench-${run}.${mode}.scores`;
  await admin.createTopics([{ topic: outputTopic, numPartitions: partitions }]);
  const started = performance.now();
  let first = 0;
  let last = 0;
  const pipeline = runKafkaPipeline({
    client,
    groupId,
    topics: [topic],
    memory,
    snapshotTopic: `bench-${run}.snapshots`,
    output: { topic: outputTopic },
    exactlyOnce: mode === 'exactly-once',
    source: { idleExitMs: 2000 },
    onEvent: (event) => {
      if (event.type !== 'chunk') return;
      last = performance.now();
      first ||= last;
    },
  });
  const sampler = setInterval(() => {
    const t = (performance.now() - started) / 1000;
    const stats = pipeline.stats();
    const delivered = pipeline.progress().reduce((n, p) => n + (p.lag ?? 0), 0);
    void groupLag(admin, groupId).then(
      (committed) => emit({ type: 'lag', mode, t, committedLag: committed, deliveredLag: delivered, records: stats.records, tokens: stats.tokens }),
      () => undefined,
    );
  }, sampleMs);
  const stats = await pipeline.done.finally(() => clearInterval(sampler));
  const seconds = (last - started) / 1000;
  const tokensPerSec = stats.tokens / seconds;
  emit({
    type: 'end-to-end',
    mode,
    tokens: stats.tokens,
    records: stats.records,
    seconds,
    tokensPerSec,
    startupSeconds: (first - started) / 1000,
    snapshots: stats.snapshots,
    commits: stats.commits,
    finalCommittedLag: await groupLag(admin, groupId),
  });
  await admin.deleteTopics([outputTopic]);
  return tokensPerSec;
}

try {
  await memoryAlone(100); // warm-up: WASM compilation, first-use allocations
  const before = await memoryAlone();
  const kafka: Record<string, number> = {};
  const progress = new ProgressLine(process.stderr);
  for (const [index, mode] of modes.entries()) {
    progress.update(`bench:kafka ${index + 1}/${modes.length}: end to end, ${mode}`, true);
    kafka[mode] = await endToEnd(mode);
    progress.done();
  }
  const after = await memoryAlone();
  const alone = (before + after) / 2;
  emit({
    type: 'summary',
    backend: backend.name,
    memory: { dim: memory.dim, chunkSize: memory.chunkSize },
    partitions,
    records: count,
    tokens,
    memoryAloneTokensPerSec: alone,
    endToEndTokensPerSec: kafka,
    endToEndOverMemoryAlone: Object.fromEntries(Object.entries(kafka).map(([mode, rate]) => [mode, rate / alone])),
  });
} finally {
  await admin.deleteTopics([topic, `bench-${run}.snapshots`]).catch(() => undefined);
  await admin.disconnect();
}
