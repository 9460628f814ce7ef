import { beforeAll, describe, expect, it } from 'vitest';
import { KafkaSnapshotStore } from '../../../connectors/kafka/index.js';
import { resolveTokenMemoryConfig } from '../../../src/memory/index.js';
import { initBackend } from '../../../src/tensor/index.js';
import { BYTE_VOCAB_SIZE } from '../../../src/tokenize/index.js';
import { startCli } from '../../support/cli-process.js';
import { kafkaBrokers, uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';
import { allInputs, expectSameMemory, offlineMemory, produceLogs, readOutputs, scoredInputs, TEST_MEMORY, TEST_MEMORY_FLAGS } from './pipeline-fixtures.js';

const expectation = { config: resolveTokenMemoryConfig({ vocabSize: BYTE_VOCAB_SIZE, ...TEST_MEMORY }) };

const startRun = (args: string[]) => startCli('run', args);

describe('titans-stream run --source kafka: (the CLI against the real broker)', () => {
  const kafka = useKafka();
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  async function setup(perPartition: number, seed: number) {
    const admin = await kafka.admin();
    const topic = uniqueName('cli-logs');
    const outputTopic = uniqueName('cli-scores');
    await admin.createTopics([
      { topic, numPartitions: 3 },
      { topic: outputTopic, numPartitions: 3 },
    ]);
    const lines = await produceLogs(await kafka.producer(), topic, { partitions: 3, perPartition, seed });
    const groupId = uniqueName('cli-group');
    const snapshotTopic = uniqueName('cli-snapshots');
    const args = [
      '--source', `kafka:${topic}`, '--brokers', kafkaBrokers().join(','), '--group', groupId, '--sink', `kafka:${outputTopic}`,
      '--snapshot-topic', snapshotTopic, '--snapshot-every', '20', '--idle-exit-ms', '3000', '--session-timeout-ms', '4000', '--json', ...TEST_MEMORY_FLAGS,
    ];
    return { topic, outputTopic, lines, groupId, snapshotTopic, args };
  }

  async function committedTotal(groupId: string, topic: string): Promise<number> {
    const admin = await kafka.admin();
    return (await admin.fetchOffsets(groupId, [topic])).reduce((n, o) => n + Number(o.offset ?? 0), 0);
  }

  /** Runs the CLI, SIGKILLs it once `killAt` offsets are committed (plus a random delay), then runs it to the end. */
  async function killAndResume(args: string[], groupId: string, topic: string, killAt: number): Promise<{ atKill: number; resumed: { code: number | null; stdout: string; stderr: string } }> {
    const victim = startRun(args);
    await waitUntil(`${killAt} committed offsets`, async () => (await committedTotal(groupId, topic)) >= killAt, 40_000, 100);
    await new Promise((r) => setTimeout(r, Math.random() * 300));
    victim.child.kill('SIGKILL');
    const killed = await victim.exited;
    expect(killed.signal).toBe('SIGKILL');
    const atKill = await committedTotal(groupId, topic);
    const resumed = await startRun(args).exited;
    return { atKill, resumed };
  }

  async function finalMemories(snapshotTopic: string, groupId: string, topic: string) {
    const store = new KafkaSnapshotStore({ client: kafka.client(), topic: snapshotTopic, storeKey: (key) => `${groupId}/${key.replace(/-(\d+)$/, '/$1')}` });
    try {
      return await Promise.all([0, 1, 2].map((p) => store.load(`${topic}-${p}`, expectation)));
    } finally {
      await store.close();
    }
  }

  it('SIGKILL mid-stream, then a restart: the memories equal an uninterrupted run, every input scored at least once', async () => {
    const { topic, outputTopic, lines, groupId, snapshotTopic, args } = await setup(160, 21);
    const { atKill, resumed } = await killAndResume(args, groupId, topic, 120);
    expect(atKill).toBeLessThan(480);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    const summary = JSON.parse(resumed.stdout) as { records: number; mode: string };
    expect(summary.mode).toBe('at-least-once');
    // The restart read on from the snapshots: less than everything again.
    expect(summary.records).toBeLessThan(480);

    const memories = await finalMemories(snapshotTopic, groupId, topic);
    for (const p of [0, 1, 2]) expectSameMemory(memories[p], await offlineMemory(topic, p, lines[p] ?? []));
    const admin = await kafka.admin();
    expect((await admin.fetchOffsets(groupId, [topic])).map((o) => o.offset)).toEqual(['160', '160', '160']);
    const outputs = await readOutputs(kafka.client(), outputTopic, 480);
    expect([...new Set(scoredInputs(outputs))].sort()).toEqual(allInputs(lines).sort());
  }, 90_000);

  it('--exactly-once: SIGKILL mid-stream, then a restart: a read_committed reader sees every output exactly once, and the memories equal an uninterrupted run', async () => {
    const { topic, outputTopic, lines, groupId, snapshotTopic, args } = await setup(120, 22);
    const { atKill, resumed } = await killAndResume([...args, '--exactly-once'], groupId, topic, 90);
    expect(atKill).toBeLessThan(360);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect((JSON.parse(resumed.stdout) as { mode: string }).mode).toBe('exactly-once');

    const memories = await finalMemories(snapshotTopic, groupId, topic);
    for (const p of [0, 1, 2]) expectSameMemory(memories[p], await offlineMemory(topic, p, lines[p] ?? []));
    const outputs = await readOutputs(kafka.client(), outputTopic, 360);
    expect(scoredInputs(outputs).sort()).toEqual(allInputs(lines).sort());
  }, 90_000);

  it('rejects Kafka flags that make no sense with a usage error', async () => {
    const noTopic = await startRun(['--source', 'kafka:']).exited;
    expect(noTopic.code).toBe(2);
    expect(noTopic.stderr).toMatch(/--source kafka: needs a topic/);
    const eos = await startRun(['--source', 'kafka:logs', '--exactly-once', '--brokers', kafkaBrokers().join(',')]).exited;
    expect(eos.code).toBe(2);
    expect(eos.stderr).toMatch(/--exactly-once needs --sink kafka:/);
    const brokers = await startRun(['--source', 'kafka:logs', '--brokers', 'nohostport']).exited;
    expect(brokers.code).toBe(2);
    expect(brokers.stderr).toMatch(/--brokers must be host:port/);
  }, 60_000);

  it('--sink kafka: writes a JSON score per record for a non-Kafka source too', async () => {
    const outputTopic = uniqueName('cli-sample-scores');
    const run = await startRun(['--source', 'sample', '--records', '150', '--sink', `kafka:${outputTopic}`, '--brokers', kafkaBrokers().join(','), '--json', ...TEST_MEMORY_FLAGS]).exited;
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const outputs = await readOutputs(kafka.client(), outputTopic, 150);
    expect(outputs).toHaveLength(150);
    const indexes = outputs.map((o) => (o.json.position.kind === 'stream' ? o.json.position.index : -1)).sort((a, b) => a - b);
    expect(indexes).toEqual(Array.from({ length: 150 }, (_, i) => i));
    expect(outputs.every((o) => o.json.type === 'score' && Number.isFinite((o.json as { meanLoss: number }).meanLoss))).toBe(true);
  }, 60_000);

  it('SIGTERM ends a consumer-group run gracefully (final snapshots, commits) after a progress line with records/s, tokens/s and lag', async () => {
    const { topic, groupId, args } = await setup(60, 23);
    // No idle exit, and no periodic snapshot by chunk count: what gets committed comes from the final snapshots.
    const flags = args.map((a, i) => (args[i - 1] === '--snapshot-every' ? '1000000' : a)).filter((a, i, all) => a !== '--idle-exit-ms' && all[i - 1] !== '--idle-exit-ms');
    const running = startRun([...flags, '--progress']);
    await waitUntil('a progress line showing all 180 records', () => /\r180 records \(/.test(running.stderr()), 40_000, 100);
    running.child.kill('SIGTERM');
    const ended = await running.exited;
    expect(ended.code).toBe(0);
    expect(ended.signal).toBeNull();
    expect(ended.stderr).toMatch(/\r\d+ records \([\d.]+k?\/s\), \d+ tokens \([\d.]+k?\/s\), lag \d+, 3 partition\(s\), 0 alerts, [\d.]+s/);
    expect((JSON.parse(ended.stdout) as { records: number }).records).toBe(180);
    // The final snapshots were committed: the group's offsets are at the end of every partition.
    const admin = await kafka.admin();
    expect((await admin.fetchOffsets(groupId, [topic])).map((o) => o.offset)).toEqual(['60', '60', '60']);
  }, 60_000);
});
