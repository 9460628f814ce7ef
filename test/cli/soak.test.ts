import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SoakReport } from '../../cli/soak/soak-report.js';
import { runCli } from '../support/run-cli.js';

/** A TCP port nobody listens on right now. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const cli = (args: string[], progressOnTerminal = false) => runCli(args, { tty: progressOnTerminal });

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

  it('with --workers shards the keys over worker threads and reads tensors and weight norms from every worker', async () => {
    const out = path.join(dir, 'pool.json');
    const result = await cli(['soak', '--tokens', '30000', '--every', '10000', '--keys', '4', '--workers', '2', '--dim', '16', '--out', out]);
    expect(result.err).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(await readFile(out, 'utf8')) as SoakReport;
    expect(report.settings.workers).toBe(2);
    expect(report.samples).toHaveLength(3);
    for (const s of report.samples) {
      expect(s.weightNorm.max).toBeGreaterThan(0);
      expect(s.weightNorm.mean).toBeLessThan(s.weightNorm.max);
    }
    // Two workers' tensors; flat from sample to sample.
    expect(new Set(report.samples.map((s) => s.numTensors)).size).toBe(1);
  });

  it('with --metrics-port serves Prometheus metrics while it runs', async () => {
    const port = await freePort();
    const run = cli(['soak', '--tokens', '60000', '--every', '20000', '--dim', '16', '--metrics-port', String(port)]);
    let text = '';
    for (let i = 0; i < 400 && !/titans_tokens_total [1-9]/.test(text); i++) {
      text = await fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
      await new Promise((r) => setTimeout(r, 25));
    }
    for (const name of ['titans_tokens_total', 'titans_records_total', 'titans_chunk_latency_seconds_bucket', 'titans_record_surprise', 'titans_live_memories', 'titans_tensors', 'process_resident_memory_bytes']) {
      expect(text).toContain(`\n${name}`);
    }
    expect((await run).code).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });

  it('rejects bad flags with exit code 2', async () => {
    expect((await cli(['soak', '--tokens', '0'])).code).toBe(2);
    expect((await cli(['soak', '--forget', '2'])).code).toBe(2);
    expect((await cli(['soak', '--workers', '-1'])).code).toBe(2);
    expect((await cli(['soak', '--metrics-port', '70000'])).code).toBe(2);
  });
});
