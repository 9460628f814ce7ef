import { existsSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { KafkaSnapshotStore } from '../../../connectors/kafka/index.js';
import { resolveTokenMemoryConfig } from '../../../src/memory/index.js';
import { initBackend } from '../../../src/tensor/index.js';
import { BYTE_VOCAB_SIZE } from '../../../src/tokenize/index.js';
import { startCli, type CliProcess } from '../../support/cli-process.js';
import { kafkaBrokers, uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';
import { allInputs, expectSameMemory, offlineMemory, produceLogs, readOutputs, scoredInputs, TEST_MEMORY, TEST_MEMORY_FLAGS } from './pipeline-fixtures.js';

const root = path.resolve(import.meta.dirname, '../../..');
const expectation = { config: resolveTokenMemoryConfig({ vocabSize: BYTE_VOCAB_SIZE, ...TEST_MEMORY }) };

/** The value of a sample line `name{labels} value` (or `name value`) of a scrape; NaN when absent. */
function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}

/** Every `titans_kafka_consumer_lag{...}` sample of a scrape. */
function lags(text: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.startsWith('titans_kafka_consumer_lag{'))
    .map((l) => Number(l.split(' ').at(-1)));
}

describe('titans-stream run over Kafka at scale: metrics, worker pools, several processes (real broker)', () => {
  const kafka = useKafka();
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  async function committed(groupId: string, topic: string): Promise<string[]> {
    const admin = await kafka.admin();
    return (await admin.fetchOffsets(groupId, [topic])).sort((a, b) => a.partition - b.partition).map((o) => o.offset ?? '-1');
  }

  it('--metrics-port: the consumer lag per partition is above 0 while the run catches up, then 0; tokens and records counted', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('metrics-logs');
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const lines = await produceLogs(await kafka.producer(), topic, { partitions: 2, perPartition: 400, seed: 31 });
    const run = startCli('run', [
      '--source', `kafka:${topic}`, '--brokers', kafkaBrokers().join(','), '--group', uniqueName('metrics-group'), '--snapshot-topic', uniqueName('metrics-snapshots'),
      '--workers', '1', '--metrics-port', '0', '--session-timeout-ms', '6000', '--json', ...TEST_MEMORY_FLAGS,
    ]);
    let last = '';
    try {
      await waitUntil('the metrics address on stderr', () => /metrics on http:\S+/.test(run.stderr()), 30_000);
      const url = /metrics on (http:\S+)/.exec(run.stderr())?.[1] as string;
      const scrape = async (): Promise<string> => (await fetch(url)).text();
      let behind = 0;
      await waitUntil('a lag above 0 on a partition', async () => (behind = Math.max(0, ...lags(await scrape()))) > 0, 60_000, 20);
      expect(behind).toBeGreaterThan(0);
      await waitUntil('every record scored and the lag at 0 on both partitions', async () => {
        last = await scrape();
        return sample(last, 'titans_records_total') === 800 && lags(last).length === 2 && lags(last).every((l) => l === 0);
      }, 90_000, 200);
      expect(last).toContain('# TYPE titans_kafka_consumer_lag gauge');
      expect(last).toMatch(new RegExp(`titans_kafka_consumer_lag\\{topic="${topic}",partition="1"\\} 0`));
      expect(sample(last, 'titans_live_memories')).toBe(2);
    } finally {
      run.child.kill('SIGTERM');
    }
    const ended = await run.exited;
    expect(ended.code).toBe(0);
    const summary = JSON.parse(ended.stdout) as { records: number; tokens: number; workers: number };
    expect(summary).toMatchObject({ records: lines.flat().length, workers: 1 });
    expect(sample(last, 'titans_tokens_total')).toBe(summary.tokens);
  }, 150_000);

  it('two processes in one group, each with a worker pool, split the partitions; stopping one hands its partitions and memories to the other; nothing lost', async () => {
    const admin = await kafka.admin();
    const partitions = 4;
    const topic = uniqueName('two-procs-logs');
    const outputTopic = uniqueName('two-procs-scores');
    await admin.createTopics([
      { topic, numPartitions: partitions },
      { topic: outputTopic, numPartitions: 2 },
    ]);
    const producer = await kafka.producer();
    const perPhase = 50;
    const phases: string[][][] = [];
    const produce = async (phase: number): Promise<void> => {
      phases.push(await produceLogs(producer, topic, { partitions, perPartition: perPhase, seed: 41, from: phase * partitions * perPhase }));
    };
    const groupId = uniqueName('two-procs-group');
    const snapshotTopic = uniqueName('two-procs-snapshots');
    const args = [
      '--source', `kafka:${topic}`, '--brokers', kafkaBrokers().join(','), '--group', groupId, '--sink', `kafka:${outputTopic}`, '--snapshot-topic', snapshotTopic,
      '--snapshot-every', '4', '--session-timeout-ms', '6000', '--workers', '1', '--progress', '--json', ...TEST_MEMORY_FLAGS,
    ];
    /** Partitions the process's latest progress line shows. */
    const owned = (p: CliProcess): number => Number(/(\d+) partition\(s\)[^\r]*$/.exec(p.stderr())?.[1] ?? 0);
    // Until the group exists its coordinator may not be found: count that as nothing committed.
    const total = async (): Promise<number> => (await committed(groupId, topic).catch(() => [])).reduce((n, o) => n + Math.max(0, Number(o)), 0);

    // The processes run the build, as deployed (compiled worker entry included).
    expect(existsSync(path.join(root, 'dist/src/workers/memory-workers.js')), 'dist/ is missing or stale: run npm run build').toBe(true);
    const start = (): CliProcess => startCli('run', args, { compiled: true });
    await produce(0);
    const first = start();
    let second: CliProcess | undefined;
    try {
      await waitUntil('the first process to commit', async () => (await total()) > 0, 60_000, 200);
      second = start();
      const both = second;
      await waitUntil('the partitions split over both processes', () => owned(both) > 0 && owned(first) > 0 && owned(first) + owned(both) === partitions, 60_000, 200);
      await produce(1);
      await waitUntil('progress on the second phase', async () => (await total()) > partitions * perPhase, 60_000, 200);
      first.child.kill('SIGTERM');
      const stopped = await first.exited;
      expect(stopped.code).toBe(0);
      await produce(2);
      await waitUntil('the second process owning every partition', () => owned(both) === partitions, 60_000, 200);
      // Every input scored, then a graceful stop commits the final snapshots.
      const inputs = partitions * perPhase * phases.length;
      await readOutputs(kafka.client(), outputTopic, inputs, 120_000);
      both.child.kill('SIGTERM');
      const ended = await both.exited;
      expect(ended.code).toBe(0);
      const summary = JSON.parse(ended.stdout) as { workers: number; revocations: number };
      expect(summary.workers).toBe(1);
    } catch (error) {
      // What each process last reported (its last warnings and errors, and its last progress line), to tell a stall from a crash.
      const tail = (text: string): string => {
        const lines = text.replace(/\r/g, '\n').split('\n').filter(Boolean);
        const isProgress = (line: string): boolean => /^\d+ records \(/.test(line);
        return [...lines.filter((l) => !isProgress(l)).slice(-8), ...lines.filter(isProgress).slice(-1)].join('\n');
      };
      throw new Error(`${(error as Error).message}\nfirst process, last stderr lines:\n${tail(first.stderr())}\nsecond process, last stderr lines:\n${tail(second?.stderr() ?? '')}`, { cause: error });
    } finally {
      first.child.kill('SIGKILL');
      second?.child.kill('SIGKILL');
    }

    const byPartition = Array.from({ length: partitions }, (_, p) => phases.flatMap((phase) => phase[p] ?? []));
    expect(await committed(groupId, topic)).toEqual(byPartition.map((lines) => String(lines.length)));
    const outputs = await readOutputs(kafka.client(), outputTopic, partitions * perPhase * phases.length);
    expect([...new Set(scoredInputs(outputs))].sort()).toEqual(allInputs(byPartition).sort());
    const store = new KafkaSnapshotStore({ client: kafka.client(), topic: snapshotTopic, storeKey: (key) => `${groupId}/${key.replace(/-(\d+)$/, '/$1')}` });
    try {
      for (let p = 0; p < partitions; p++) expectSameMemory(await store.load(`${topic}-${p}`, expectation), await offlineMemory(topic, p, byPartition[p] ?? []));
    } finally {
      await store.close();
    }
  }, 300_000);
});
