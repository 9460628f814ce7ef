/**
 * The broker goes away mid-stream and comes back: the pipeline waits, recovers and loses nothing.
 *
 * Runs against a broker of its own (scripts/kafka on port 19092, data kept across the restart), so
 * that stopping it disturbs no other test using the shared broker.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { createKafkaJsClient, KafkaSnapshotStore, runKafkaPipeline, type KafkaClient } from '../../../connectors/kafka/index.js';
import { resolveTokenMemoryConfig } from '../../../src/memory/index.js';
import { initBackend } from '../../../src/tensor/index.js';
import { BYTE_VOCAB_SIZE } from '../../../src/tokenize/index.js';
import { uniqueName, waitUntil } from '../../support/kafka-env.js';
import { allInputs, expectSameMemory, offlineMemory, produceLogs, readOutputs, scoredInputs, TEST_MEMORY } from './pipeline-fixtures.js';

const root = path.resolve(import.meta.dirname, '../../..');
const PORT = Number(process.env.TITANS_KAFKA_RESTART_PORT ?? 19092);
const env = { ...process.env, TITANS_KAFKA_PORT: String(PORT), TITANS_KAFKA_CONTROLLER_PORT: String(PORT + 1) };

/** Runs scripts/kafka/<script> for the test's own broker; rejects with its output on failure. */
function script(name: 'start.sh' | 'stop.sh', ...args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [path.join(root, 'scripts/kafka', name), ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${name} ${args.join(' ')} exited with ${code}: ${out}`))));
  });
}

describe('broker restart mid-stream', () => {
  it('the pipeline waits through the outage, recovers, and loses nothing: memories equal an offline run, every input scored', async () => {
    await initBackend({ backend: 'wasm' });
    await script('start.sh');
    const warnings: string[] = [];
    let client: KafkaClient | undefined;
    try {
      client = createKafkaJsClient({ brokers: [`127.0.0.1:${PORT}`], clientId: 'titans-restart-test' });
      const admin = client.admin();
      await admin.connect();
      const topic = uniqueName('restart-logs');
      const outputTopic = uniqueName('restart-scores');
      await admin.createTopics([
        { topic, numPartitions: 3 },
        { topic: outputTopic, numPartitions: 3 },
      ]);
      await admin.disconnect();
      const producer = client.producer();
      await producer.connect();
      const lines = await produceLogs(producer, topic, { partitions: 3, perPartition: 200, seed: 31 });
      await producer.disconnect();

      const groupId = uniqueName('restart-group');
      const snapshotTopic = uniqueName('restart-snapshots');
      const run = runKafkaPipeline({
        client,
        groupId,
        topics: [topic],
        memory: TEST_MEMORY,
        snapshotTopic,
        snapshots: { everyChunks: 10 },
        output: { topic: outputTopic },
        // A consumer that crashed during the outage could not leave the group: its partitions wait for its session to time out.
        source: { capacity: 50, consumer: { maxWaitTimeMs: 100, sessionTimeoutMs: 6000, heartbeatIntervalMs: 1000 } },
        retryTimeoutMs: 120_000,
        onWarning: (message, error) => warnings.push(`${message}${error === undefined ? '' : `: ${String(error)}`}`),
      });
      await waitUntil('a third of the records scored', () => run.stats().records >= 200, 30_000);
      await script('stop.sh', '--keep-data');
      const atStop = run.stats().records;
      await new Promise((r) => setTimeout(r, Number(process.env.TITANS_KAFKA_OUTAGE_MS ?? 3000)));
      await script('start.sh');
      await waitUntil(
        'every partition read to its end after the restart',
        () => run.progress().length === 3 && run.progress().every((p) => p.delivered === '200'),
        60_000,
        100,
      );
      const stats = await run.stop();
      expect(atStop).toBeLessThan(600);
      expect(stats.records).toBeGreaterThanOrEqual(600);

      const expectation = { config: resolveTokenMemoryConfig({ vocabSize: BYTE_VOCAB_SIZE, ...TEST_MEMORY }) };
      const store = new KafkaSnapshotStore({ client, topic: snapshotTopic, storeKey: (key) => `${groupId}/${key.replace(/-(\d+)$/, '/$1')}` });
      const memories = await Promise.all([0, 1, 2].map((p) => store.load(`${topic}-${p}`, expectation)));
      await store.close();
      for (const p of [0, 1, 2]) expectSameMemory(memories[p], await offlineMemory(topic, p, lines[p] ?? []));
      const outputs = await readOutputs(client, outputTopic, 600);
      expect([...new Set(scoredInputs(outputs))].sort()).toEqual(allInputs(lines).sort());
    } catch (error) {
      throw new Error(`${String(error)}\nwarnings:\n${warnings.join('\n')}`, { cause: error });
    } finally {
      await script('stop.sh');
    }
  }, 120_000);
});
