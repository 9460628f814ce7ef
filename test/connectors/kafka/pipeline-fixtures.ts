/**
 * Helpers of the Kafka pipeline tests: produce sample logs over partitions, compute the memories
 * an offline run would reach, compare memories, read the output topic.
 */
import { expect } from 'vitest';
import type { KafkaClient, KafkaProducer, KafkaRecord, RecordScoreOutput } from '../../../connectors/kafka/index.js';
import type { TokenMemoryConfig } from '../../../src/memory/index.js';
import { chunkTokens, neuralMemory, tokenize } from '../../../src/pipeline/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { sampleLogLines } from '../../../src/sample/index.js';
import type { MemorySnapshot } from '../../../src/snapshot/index.js';
import { fromIterable, pipe } from '../../../src/stream/index.js';
import { BYTE_RECORD_SEPARATOR, BYTE_VOCAB_SIZE, ByteTokenizer } from '../../../src/tokenize/index.js';
import { uniqueName, waitUntil } from '../../support/kafka-env.js';

/** The small memory of the pipeline tests. */
export const TEST_MEMORY: Partial<TokenMemoryConfig> = { dim: 16, chunkSize: 32, learningRate: 0.05, seed: 3 };

/** The CLI flags of {@link TEST_MEMORY}. */
export const TEST_MEMORY_FLAGS = ['--untrained', '--dim', '16', '--chunk-size', '32', '--lr', '0.05', '--memory-seed', '3'];

const encoder = new TextEncoder();

/**
 * Produces `perPartition` sample log lines to each of `partitions` partitions of a new topic (line
 * i goes to partition i mod partitions) and returns the lines by partition, in offset order.
 */
export async function produceLogs(
  producer: KafkaProducer,
  topic: string,
  options: { partitions: number; perPartition: number; seed: number; from?: number },
): Promise<string[][]> {
  const { partitions, perPartition, seed, from = 0 } = options;
  const lines = [...sampleLogLines({ count: from + partitions * perPartition, seed, anomalyRate: 0.01 })].slice(from).map((l) => l.line);
  const byPartition: string[][] = Array.from({ length: partitions }, () => []);
  lines.forEach((line, i) => byPartition[i % partitions]?.push(line));
  for (let start = 0; start < lines.length; start += 600) {
    const messages = lines.slice(start, start + 600).map((line, j) => ({ value: line, partition: (start + j) % partitions, key: `k${(start + j) % 17}` }));
    await producer.send([{ topic, messages }]);
  }
  return byPartition;
}

/** Records of one partition as the Kafka source yields them (offsets from `firstOffset`). */
export function partitionRecords(topic: string, partition: number, lines: readonly string[], firstOffset = 0): SourceRecord[] {
  return lines.map((line, i) => ({ value: encoder.encode(line), position: { kind: 'kafka', topic, partition, offset: String(firstOffset + i) } }));
}

/** The final memory of an uninterrupted offline run over one partition's lines. */
export async function offlineMemory(topic: string, partition: number, lines: readonly string[], memory: Partial<TokenMemoryConfig> = TEST_MEMORY): Promise<MemorySnapshot> {
  const config = { vocabSize: BYTE_VOCAB_SIZE, ...memory };
  let final: MemorySnapshot | undefined;
  const events = pipe(
    fromIterable(partitionRecords(topic, partition, lines)),
    tokenize(new ByteTokenizer(), { separator: BYTE_RECORD_SEPARATOR }),
    chunkTokens(config.chunkSize ?? 32),
    neuralMemory({ memory: config, finalSnapshots: true }),
  );
  for await (const event of events) if (event.type === 'snapshot' && event.reason === 'final') final = event.snapshot;
  if (final === undefined) throw new Error(`no final snapshot for ${topic}-${partition}`);
  return final;
}

/** Asserts two snapshots hold the same memory (up to float rounding) over the same input. */
export function expectSameMemory(actual: MemorySnapshot | undefined, expected: MemorySnapshot, tolerance = 1e-5): void {
  expect(actual, `a snapshot of ${expected.key}`).toBeDefined();
  const got = actual as MemorySnapshot;
  expect(got.key).toBe(expected.key);
  expect(got.covers).toEqual(expected.covers);
  expect(got.state.tokensSeen).toBe(expected.state.tokensSeen);
  expect(got.state.arrays.map((a) => a.name)).toEqual(expected.state.arrays.map((a) => a.name));
  for (const [i, array] of got.state.arrays.entries()) {
    const reference = expected.state.arrays[i];
    let maxDiff = 0;
    array.data.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - (reference?.data[j] ?? NaN)))));
    expect(maxDiff, `${expected.key} ${array.name}`).toBeLessThanOrEqual(tolerance);
  }
}

/** A parsed output message with its Kafka coordinates. */
export interface OutputRecord {
  readonly json: RecordScoreOutput | { type: 'alert'; position: RecordScoreOutput['position'] };
  readonly record: KafkaRecord;
}

/** Reads the first `count` messages of `topic` (read_committed), failing after `timeoutMs`. */
export async function readOutputs(client: KafkaClient, topic: string, count: number, timeoutMs = 30_000): Promise<OutputRecord[]> {
  const got: OutputRecord[] = [];
  const consumer = client.consumer({ groupId: uniqueName('outputs'), maxWaitTimeMs: 100 });
  await consumer.connect();
  try {
    await consumer.subscribe([topic]);
    await consumer.run({
      eachBatch: async (batch) => {
        for (const record of batch.records) got.push({ record, json: JSON.parse(new TextDecoder().decode(record.value as Uint8Array)) as OutputRecord['json'] });
      },
    });
    await waitUntil(`${count} outputs on ${topic}`, () => got.length >= count, timeoutMs).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; ${await describeArrivals(client, topic, got)}`);
    });
    // Anything beyond `count` (duplicates) shows up shortly after.
    await new Promise((resolve) => setTimeout(resolve, 500));
    return got;
  } finally {
    await consumer.disconnect();
  }
}

/** What a read of the output topic got, by partition, against the topic's end offsets: for a timeout's message. */
async function describeArrivals(client: KafkaClient, topic: string, got: readonly OutputRecord[]): Promise<string> {
  const admin = client.admin();
  await admin.connect();
  try {
    const ends = await admin.fetchTopicOffsets(topic);
    const parts = ends.map(({ partition, high }) => {
      const here = got.filter((o) => o.record.partition === partition);
      const scores = here.filter((o) => o.json.type === 'score').length;
      const last = here.reduce((m, o) => Math.max(m, Number(o.record.offset)), -1);
      return `partition ${partition}: ${here.length} read (${scores} scores), last offset read ${last}, end offset ${high}`;
    });
    const byInput = new Map<number, number>();
    for (const o of got) if (o.json.type === 'score' && o.json.position.kind === 'kafka') byInput.set(o.json.position.partition, (byInput.get(o.json.position.partition) ?? 0) + 1);
    return `got ${got.length}: ${parts.join('; ')}; scores by input partition ${JSON.stringify(Object.fromEntries(byInput))}`;
  } finally {
    await admin.disconnect();
  }
}

/** `partition/offset` of every score output. */
export function scoredInputs(outputs: readonly OutputRecord[]): string[] {
  return outputs
    .filter((o) => o.json.type === 'score')
    .map((o) => {
      const p = o.json.position;
      if (p.kind !== 'kafka') throw new Error(`unexpected position ${JSON.stringify(p)}`);
      return `${p.partition}/${p.offset}`;
    });
}

/** `partition/offset` of every produced input. */
export function allInputs(byPartition: readonly (readonly string[])[]): string[] {
  return byPartition.flatMap((lines, partition) => lines.map((_, offset) => `${partition}/${offset}`));
}
