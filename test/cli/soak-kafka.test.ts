import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SoakReport } from '../../cli/soak/soak-report.js';
import { kafkaBrokers, uniqueName, useKafka } from '../support/kafka-env.js';
import { runCli } from '../support/run-cli.js';

const cli = (args: string[]) => runCli(args);

describe('titans-stream soak --source kafka: (real broker)', () => {
  const kafka = useKafka();
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'titans-soak-kafka-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--produce writes the generated stream to the topic, then soaks from it recording the same series', async () => {
    const topic = uniqueName('soak-logs');
    const admin = await kafka.admin();
    await admin.createTopics([{ topic, numPartitions: 2 }]);
    const out = path.join(dir, 'soak.json');
    const flags = ['--source', `kafka:${topic}`, '--brokers', kafkaBrokers().join(','), '--tokens', '30000', '--every', '10000', '--dim', '16', '--chunk-size', '32', '--out', out, '--json'];
    const result = await cli(['soak', ...flags, '--produce']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(out, 'utf8')) as SoakReport;
    expect(report.settings).toMatchObject({ source: `kafka:${topic}`, tokens: 30000 });
    expect(report.settings.produced?.tokens).toBeGreaterThanOrEqual(30000);
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.reduce((n, o) => n + Number(o.high), 0)).toBe(report.settings.produced?.records);
    expect(report.samples.map((s) => Math.floor(s.tokens / 10000))).toEqual([1, 2, 3]);
    // One memory per partition, weights read from both.
    expect(report.samples.every((s) => s.weightNorm.max > 0 && s.numTensors > 0 && s.tokensPerSec > 0)).toBe(true);
    expect(new Set(report.samples.map((s) => s.numTensors)).size).toBe(1);

    // Without --produce it reads what is there; a Kafka source takes no --keys.
    const again = await cli(['soak', ...flags.slice(0, -3), '--tokens', '5000', '--every', '5000', '--json', '--workers', '1']);
    expect(again.code).toBe(0);
    expect((JSON.parse(again.out) as { tokens: number }).tokens).toBeGreaterThanOrEqual(5000);
    expect((await cli(['soak', ...flags, '--keys', '2'])).err).toMatch(/one memory per partition/);
    expect((await cli(['soak', '--produce'])).err).toMatch(/go with --source kafka/);
  }, 180_000);
});
