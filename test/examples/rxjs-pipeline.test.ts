import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '../..');

describe('examples/rxjs-pipeline', () => {
  it('runs with its documented command and flags injected anomalies among its alerts', async () => {
    // The example imports the package by its name, which resolves to the build (npm test builds first).
    expect(existsSync(path.join(root, 'dist/operators/index.js')), 'dist/ is missing: run npm run build').toBe(true);
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'examples/rxjs-pipeline/main.ts', '--records', '2500'], {
      cwd: root,
      env: { ...process.env, TITANS_BACKEND: 'wasm' },
    });
    const alerts = stdout.split('\n').filter((l) => l.startsWith('ALERT'));
    expect(alerts.length).toBeGreaterThan(0);
    expect(alerts.some((l) => l.includes('[injected]'))).toBe(true);
    expect(stdout).toMatch(/^done: \d+ alerts over 2500 records on wasm/m);
  }, 120_000);
});
