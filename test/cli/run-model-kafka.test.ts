import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpointDirectory } from '../../connectors/fs/index.js';
import { KafkaSnapshotStore } from '../../connectors/kafka/index.js';
import { titansStreamConfig, type TitansModel } from '../../src/model/index.js';
import { chunkTokens, titans, tokenize } from '../../src/pipeline/index.js';
import { sampleLogLines } from '../../src/sample/index.js';
import type { MemorySnapshot } from '../../src/snapshot/index.js';
import { fromIterable, pipe } from '../../src/stream/index.js';
import { initBackend } from '../../src/tensor/index.js';
import { ByteTokenizer } from '../../src/tokenize/index.js';
import { expectSameMemory, partitionRecords, produceLogs, readOutputs } from '../connectors/kafka/pipeline-fixtures.js';
import { kafkaBrokers, uniqueName, useKafka } from '../support/kafka-env.js';
import { runCli } from '../support/run-cli.js';

const NEWLINE = 10;

const cli = (args: string[]) => runCli(args);

describe('titans-stream run --model --source kafka: (one model stream per partition)', () => {
  const kafka = useKafka();
  let dir: string;
  let modelDir: string;
  let model: TitansModel;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    dir = await mkdtemp(join(tmpdir(), 'titans-run-model-kafka-'));
    await writeFile(join(dir, 'train.txt'), [...sampleLogLines({ count: 40, seed: 2 })].map((l) => l.line).join('\n') + '\n');
    modelDir = join(dir, 'model');
    const trained = await cli(['train', '--data', `text:${join(dir, 'train.txt')}`, '--arch', 'lmm', '--dim', '16', '--layers', '1', '--heads', '2', '--segment', '8', '--batch', '2', '--seq-len', '16', '--steps', '2', '--eval-every', '100', '--out', modelDir]);
    expect(trained.code).toBe(0);
    model = (await loadCheckpointDirectory(modelDir, { optimizer: false })).model;
  });
  afterAll(async () => {
    model.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('scores every record to the output topic and leaves per-partition snapshots equal to an offline run', async () => {
    const admin = await kafka.admin();
    const topic = uniqueName('model-logs');
    const outputTopic = uniqueName('model-scores');
    await admin.createTopics([
      { topic, numPartitions: 2 },
      { topic: outputTopic, numPartitions: 2 },
    ]);
    const lines = await produceLogs(await kafka.producer(), topic, { partitions: 2, perPartition: 6, seed: 5 });
    const groupId = uniqueName('model-group');
    const snapshotTopic = uniqueName('model-snapshots');
    const r = await cli([
      'run', '--model', modelDir, '--source', `kafka:${topic}`, '--brokers', kafkaBrokers().join(','), '--group', groupId, '--sink', `kafka:${outputTopic}`,
      '--snapshot-topic', snapshotTopic, '--snapshot-every', '5', '--idle-exit-ms', '2000', '--session-timeout-ms', '4000', '--json',
    ]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { records: number; model: { arch: string } };
    expect(summary.records).toBe(12);
    expect(summary.model.arch).toBe('lmm');
    const outputs = await readOutputs(kafka.client(), outputTopic, 12);
    expect(outputs).toHaveLength(12);

    const config = titansStreamConfig(model);
    const store = new KafkaSnapshotStore({ client: kafka.client(), topic: snapshotTopic, storeKey: (key) => `${groupId}/${key.replace(/-(\d+)$/, '/$1')}` });
    try {
      for (const partition of [0, 1]) {
        let offline: MemorySnapshot | undefined;
        const events = pipe(
          fromIterable(partitionRecords(topic, partition, lines[partition] ?? [])),
          tokenize(new ByteTokenizer(), { separator: NEWLINE }), // run --model puts a newline between records
          chunkTokens(32),
          titans(model, { finalSnapshots: true }),
        );
        for await (const e of events) if (e.type === 'snapshot') offline = e.snapshot;
        const saved = await store.load(`${topic}-${partition}`, { config });
        expect(saved?.state.kind).toBe('titans-stream');
        expectSameMemory(saved, offline as MemorySnapshot, 1e-4);
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});
