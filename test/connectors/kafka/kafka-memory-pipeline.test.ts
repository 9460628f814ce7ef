import { beforeAll, describe, expect, it } from 'vitest';
import { KafkaSnapshotStore, runKafkaPipeline } from '../../../connectors/kafka/index.js';
import { PromMetricsRegistry } from '../../../connectors/metrics/index.js';
import { ConfigError } from '../../../src/errors/index.js';
import { layerMeter } from '../../../src/metrics/index.js';
import { resolveTokenMemoryConfig } from '../../../src/memory/index.js';
import type { MemoryEvent } from '../../../src/pipeline/index.js';
import { initBackend } from '../../../src/tensor/index.js';
import { BYTE_VOCAB_SIZE } from '../../../src/tokenize/index.js';
import { MemoryWorkers } from '../../../src/workers/index.js';
import { uniqueName, useKafka, waitUntil } from '../../support/kafka-env.js';
import { allInputs, expectSameMemory, offlineMemory, produceLogs, readOutputs, scoredInputs, TEST_MEMORY } from './pipeline-fixtures.js';

const expectation = { config: resolveTokenMemoryConfig({ vocabSize: BYTE_VOCAB_SIZE, ...TEST_MEMORY }) };

describe('runKafkaPipeline on the real broker', () => {
  const kafka = useKafka();
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  async function setup(perPartition: number, seed: number): Promise<{ topic: string; outputTopic: string; snapshotTopic: string; lines: string[][] }> {
    const admin = await kafka.admin();
    const topic = uniqueName('logs');
    const outputTopic = uniqueName('scores');
    await admin.createTopics([
      { topic, numPartitions: 3 },
      { topic: outputTopic, numPartitions: 3 },
    ]);
    const lines = await produceLogs(await kafka.producer(), topic, { partitions: 3, perPartition, seed });
    return { topic, outputTopic, snapshotTopic: uniqueName('snapshots'), lines };
  }

  async function finalMemories(snapshotTopic: string, groupId: string, topic: string) {
    const store = new KafkaSnapshotStore({ client: kafka.client(), topic: snapshotTopic, storeKey: (key) => `${groupId}/${key.replace(/-(\d+)$/, '/$1')}` });
    try {
      return await Promise.all([0, 1, 2].map((p) => store.load(`${topic}-${p}`, expectation)));
    } finally {
      await store.close();
    }
  }

  it('over 100k tokens in 3 partitions: per-partition memories equal an offline run, every record scored, offsets committed', async () => {
    const { topic, outputTopic, snapshotTopic, lines } = await setup(300, 11);
    const tokens = lines.flat().reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
    expect(tokens).toBeGreaterThanOrEqual(100_000);
    const groupId = uniqueName('group');
    const run = runKafkaPipeline({
      client: kafka.client(),
      groupId,
      topics: [topic],
      memory: TEST_MEMORY,
      snapshotTopic,
      snapshots: { everyChunks: 25 },
      output: { topic: outputTopic },
      source: { idleExitMs: 2000, consumer: { maxWaitTimeMs: 100 } },
    });
    const stats = await run.done;
    expect(stats.records).toBe(900);
    expect(stats.tokens).toBe(tokens);
    expect(stats.snapshots).toBeGreaterThan(3 * 4);

    const memories = await finalMemories(snapshotTopic, groupId, topic);
    for (const p of [0, 1, 2]) expectSameMemory(memories[p], await offlineMemory(topic, p, lines[p] ?? []));

    const admin = await kafka.admin();
    expect((await admin.fetchOffsets(groupId, [topic])).map((o) => o.offset)).toEqual(['300', '300', '300']);
    const outputs = await readOutputs(kafka.client(), outputTopic, 900);
    expect(scoredInputs(outputs).sort()).toEqual(allInputs(lines).sort());
  }, 60_000);

  it('with a worker pool: the memories of the partitions live on the workers and equal an offline run; the layer of every partition reports to one meter', async () => {
    const { topic, outputTopic, snapshotTopic, lines } = await setup(120, 14);
    const groupId = uniqueName('pool-group');
    const pool = new MemoryWorkers({ workers: 2, memory: TEST_MEMORY });
    const metrics = new PromMetricsRegistry();
    try {
      expect(() => runKafkaPipeline({ client: kafka.client(), groupId, topics: [topic], pool, memory: { ...TEST_MEMORY, seed: 9 } })).toThrow(ConfigError);
      let live = 0;
      const run = runKafkaPipeline({
        client: kafka.client(),
        groupId,
        topics: [topic],
        pool,
        wrapLayer: layerMeter(metrics),
        snapshotTopic,
        snapshots: { everyChunks: 10 },
        output: { topic: outputTopic },
        source: { idleExitMs: 3000, consumer: { maxWaitTimeMs: 100 } },
        onEvent: () => void pool.stats().then((s) => (live = Math.max(live, s.workers.reduce((n, w) => n + w.memories, 0)))),
      });
      const stats = await run.done;
      expect(stats.records).toBe(360);
      expect(live).toBe(3);
      const text = await metrics.registry.metrics();
      expect(text).toContain(`titans_tokens_total ${stats.tokens}\n`);
      expect(text).toContain('titans_records_total 360\n');
      // Every partition's memory was disposed on the workers when the run ended.
      expect((await pool.stats()).workers.map((w) => w.memories)).toEqual([0, 0]);
    } finally {
      await pool.close();
    }
    const memories = await finalMemories(snapshotTopic, groupId, topic);
    for (const p of [0, 1, 2]) expectSameMemory(memories[p], await offlineMemory(topic, p, lines[p] ?? []));
    expect([...new Set(scoredInputs(await readOutputs(kafka.client(), outputTopic, 360)))].sort()).toEqual(allInputs(lines).sort());
  }, 90_000);

  it('a quiet stream: every score reaches the output topic while the run goes on, with no snapshot due and no stop', async () => {
    const { topic, outputTopic, snapshotTopic, lines } = await setup(40, 15);
    const run = runKafkaPipeline({
      client: kafka.client(),
      groupId: uniqueName('quiet-group'),
      topics: [topic],
      memory: TEST_MEMORY,
      snapshotTopic,
      // No snapshot (which would flush the outputs) comes due in this test.
      snapshots: { everyChunks: 1_000_000 },
      flushAfterMs: 200,
      output: { topic: outputTopic },
      source: { consumer: { maxWaitTimeMs: 100 } },
    });
    try {
      const outputs = await readOutputs(kafka.client(), outputTopic, 120, 30_000);
      expect(scoredInputs(outputs).sort()).toEqual(allInputs(lines).sort());
      expect(run.stats().snapshots).toBe(0);
    } finally {
      await run.stop();
    }
  }, 60_000);

  it('exactly-once, a quiet stream: snapshots by time commit every output and offset while the run goes on', async () => {
    const { topic, outputTopic, snapshotTopic, lines } = await setup(40, 16);
    const groupId = uniqueName('quiet-eos-group');
    const run = runKafkaPipeline({
      client: kafka.client(),
      groupId,
      topics: [topic],
      memory: TEST_MEMORY,
      snapshotTopic,
      // Only the time-based schedule can commit: no partition sends another chunk after its last one.
      snapshots: { everyChunks: 1_000_000, everyMs: 500 },
      flushAfterMs: 200,
      output: { topic: outputTopic },
      exactlyOnce: true,
      source: { consumer: { maxWaitTimeMs: 100 } },
    });
    try {
      const outputs = await readOutputs(kafka.client(), outputTopic, 120, 30_000);
      expect(scoredInputs(outputs).sort()).toEqual(allInputs(lines).sort());
      const admin = await kafka.admin();
      await waitUntil('every offset committed', async () => (await admin.fetchOffsets(groupId, [topic])).every((o) => o.offset === '40'), 10_000);
    } finally {
      await run.stop();
    }
  }, 60_000);

  it('two members split the partitions; when one stops, its partitions move to the other with their memories, nothing lost', async () => {
    const { topic, outputTopic, snapshotTopic, lines: first } = await setup(100, 12);
    const groupId = uniqueName('group');
    const member = (onEvent?: (event: MemoryEvent) => void) =>
      runKafkaPipeline({
        ...(onEvent === undefined ? {} : { onEvent }),
        client: kafka.client(),
        groupId,
        topics: [topic],
        memory: TEST_MEMORY,
        snapshotTopic,
        snapshots: { everyChunks: 10 },
        output: { topic: outputTopic },
        source: { capacity: 20, consumer: { maxWaitTimeMs: 100, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 } },
      });
    const a = member();
    await waitUntil('member A at work', () => a.stats().records >= 30, 30_000);
    // Tokens B's memory of each partition had seen after its first chunk there: more than one chunk means restored.
    const firstSeen = new Map<string, number>();
    const b = member((event) => {
      if (event.type === 'chunk' && !firstSeen.has(event.key)) firstSeen.set(event.key, event.tokensSeen);
    });
    await waitUntil('the partitions split between A and B', () => b.progress().length > 0 && a.progress().length > 0, 30_000);
    expect(a.progress().length + b.progress().length).toBe(3);
    // More input, so that A's partitions are mid-stream when A stops.
    const second = await produceLogs(await kafka.producer(), topic, { partitions: 3, perPartition: 150, seed: 12, from: 300 });
    const lines = first.map((l, p) => [...l, ...(second[p] ?? [])]);
    const movedAtStop = a.progress().map((p) => `${p.topic}-${p.partition}`);
    const aStats = await a.stop();
    expect(aStats.revocations).toBeGreaterThan(0);
    await waitUntil('B owns every partition and has read it all', () => b.progress().length === 3 && b.progress().every((p) => p.delivered === '250'), 40_000);
    const bStats = await b.stop();
    expect(bStats.revocations).toBe(0);
    expect(movedAtStop.length).toBeGreaterThan(0);
    for (const key of movedAtStop) expect(firstSeen.has(key), `B worked on ${key}`).toBe(true);
    // Every partition A had worked on: B's memory of it began from A's snapshot, not from scratch.
    for (const [key, seen] of firstSeen) expect(seen, `B restored ${key}`).toBeGreaterThan(TEST_MEMORY.chunkSize ?? 32);

    const memories = await finalMemories(snapshotTopic, groupId, topic);
    for (const p of [0, 1, 2]) expectSameMemory(memories[p], await offlineMemory(topic, p, lines[p] ?? []));
    const admin = await kafka.admin();
    expect((await admin.fetchOffsets(groupId, [topic])).map((o) => o.offset)).toEqual(['250', '250', '250']);
    const outputs = await readOutputs(kafka.client(), outputTopic, 750);
    // At least once: some records scored by A before the handover may be scored again by B.
    expect([...new Set(scoredInputs(outputs))].sort()).toEqual(allInputs(lines).sort());
  }, 60_000);

  it('exactly-once: outputs and offsets commit with each snapshot; a read_committed reader sees every output once', async () => {
    const { topic, outputTopic, snapshotTopic, lines } = await setup(120, 13);
    const groupId = uniqueName('group');
    const run = runKafkaPipeline({
      client: kafka.client(),
      groupId,
      topics: [topic],
      memory: TEST_MEMORY,
      snapshotTopic,
      snapshots: { everyChunks: 20 },
      output: { topic: outputTopic },
      alerts: { quantile: 0.99, warmup: 20 },
      exactlyOnce: true,
      source: { idleExitMs: 2000, consumer: { maxWaitTimeMs: 100 } },
    });
    const stats = await run.done;
    expect(stats.records).toBe(360);
    expect(stats.commits).toBe(stats.snapshots);
    const memories = await finalMemories(snapshotTopic, groupId, topic);
    for (const p of [0, 1, 2]) expectSameMemory(memories[p], await offlineMemory(topic, p, lines[p] ?? []));
    const admin = await kafka.admin();
    expect((await admin.fetchOffsets(groupId, [topic])).map((o) => o.offset)).toEqual(['120', '120', '120']);
    const outputs = await readOutputs(kafka.client(), outputTopic, 360 + stats.alerts);
    expect(scoredInputs(outputs).sort()).toEqual(allInputs(lines).sort());
    expect(outputs.filter((o) => o.json.type === 'alert')).toHaveLength(stats.alerts);
  }, 60_000);
});
