import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { kafkaBrokers } from '../../support/kafka-env.js';

const root = path.resolve(import.meta.dirname, '../../..');

describe('examples/kafka-log-anomaly', () => {
  it('runs with its documented command against the broker and its alerts flag injected anomalies', async () => {
    // The example imports the package by its name, which resolves to the build (npm test builds first).
    expect(existsSync(path.join(root, 'dist/connectors/kafka/kafka-memory-pipeline.js')), 'dist/ is missing or stale: run npm run build').toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/kafka-log-anomaly/main.ts', '--records', '2400', '--cleanup'], {
      cwd: root,
      env: { ...process.env, TITANS_BACKEND: 'wasm', KAFKA_BROKERS: kafkaBrokers().join(',') },
    });
    expect(stdout).toMatch(/^produced 2400 log lines to log-anomaly-\S+\.logs \(3 partitions, \d+ injected anomalies\)$/m);
    const alerts = stdout.split('\n').filter((l) => l.startsWith('ALERT'));
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.some((l) => l.includes('[injected:'))).toBe(true);
    expect(stdout).toMatch(new RegExp(`^done: ${alerts.length} alerts on log-anomaly-\\S+\\.alerts over 2400 records in [\\d.]+s on wasm; \\d+ of them are among the injected anomalies$`, 'm'));
  }, 90_000);
});
