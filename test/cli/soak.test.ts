import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.js';
import type { SoakReport } from '../../cli/soak/soak-report.js';

async function cli(args: string[], progressOnTerminal = false) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: progressOnTerminal });
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await main(args, { stdout, stderr, env: { TITANS_BACKEND: 'wasm' }, signal: new AbortController().signal });
  return { code, out, err };
}

describe('titans-stream soak', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'titans-soak-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('ingests 200k generated tokens, writes the series and a chart, and keeps numTensors flat', async () => {
    const out = path.join(dir, 'soak.json');
    const chart = path.join(dir, 'soak.svg');
    const result = await cli(['soak', '--tokens', '200000', '--every', '20000', '--keys', '2', '--dim', '16', '--chunk-size', '64', '--out', out, '--chart', chart, '--json']);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(out, 'utf8')) as SoakReport;
    expect(JSON.parse(result.out)).toEqual(report.summary);
    expect(report.format).toBe('titans-stream.soak');
    expect(report.settings).toMatchObject({ tokens: 200000, keys: 2, every: 20000, workers: 0 });
    expect(report.samples).toHaveLength(10);
    let previous = 0;
    for (const s of report.samples) {
      expect(s.tokens).toBeGreaterThan(previous);
      previous = s.tokens;
      expect(s.tokensPerSec).toBeGreaterThan(0);
      expect(s.rssBytes).toBeGreaterThan(s.heapUsedBytes);
      expect(s.weightNorm.max).toBeGreaterThan(0);
      expect(s.weightNorm.mean).toBeLessThanOrEqual(s.weightNorm.max);
      expect(s.latencyMs.chunks).toBeGreaterThan(0);
      expect(s.latencyMs.p99).toBeGreaterThanOrEqual(s.latencyMs.p50);
    }
    expect(report.samples.at(-1)?.tokens).toBeGreaterThanOrEqual(200000);
    expect(report.samples.at(-1)?.tokens).toBeLessThan(200000 + 64);
    // Flat after the first chunk: the same tensors live at every sample.
    expect(new Set(report.samples.map((s) => s.numTensors)).size).toBe(1);
    expect(report.summary.checks.tensorsFlat).toBe(true);
    expect(report.summary.numTensors.drift).toBe(0);
    const svg = await readFile(chart, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(8);
  });

  it('prints the human summary with one verdict per metric, and draws progress only on a terminal', async () => {
    const quiet = await cli(['soak', '--tokens', '3000', '--every', '1000', '--dim', '8', '--chunk-size', '16']);
    expect(quiet.code).toBe(0);
    expect(quiet.err).toBe('');
    expect(quiet.out).toMatch(/^soak: \d+ tokens in /);
    for (const metric of ['RSS', 'numTensors', 'throughput', 'weight norm']) expect(quiet.out).toMatch(new RegExp(`^  (ok  |FAIL) ${metric}`, 'm'));
    const terminal = await cli(['soak', '--tokens', '3000', '--every', '1000', '--dim', '8', '--chunk-size', '16'], true);
    expect(terminal.code).toBe(0);
    expect(terminal.err).toMatch(/\rsoak \d+\/3000 tokens/);
  });

  it('rejects bad flags with exit code 2', async () => {
    expect((await cli(['soak', '--tokens', '0'])).code).toBe(2);
    expect((await cli(['soak', '--forget', '2'])).code).toBe(2);
  });
});
