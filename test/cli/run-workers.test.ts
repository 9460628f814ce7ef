import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../support/run-cli.js';

const memoryFlags = ['--untrained', '--dim', '16', '--chunk-size', '16', '--memory-seed', '5'];

/** Runs the CLI in this process; `onStderr` sees stderr as it comes. */
const cli = (args: string[], onStderr?: (text: string) => void) => runCli(args, onStderr === undefined ? {} : { onStderr });

/** position → "key mean_loss max_surprise" of every row of an output file. */
async function scores(file: string): Promise<Map<string, string>> {
  const table = tableFromIPC(await readFile(file));
  const column = (name: string): unknown[] => [...(table.getChild(name) ?? [])];
  const [keys, positions, losses, surprises] = ['key', 'position', 'mean_loss', 'max_surprise'].map(column);
  return new Map((positions ?? []).map((p, i) => [String(p), `${String(keys?.[i])} ${String(losses?.[i])} ${String(surprises?.[i])}`]));
}

describe('run --workers', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'titans-workers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--workers 2 gives the same per-record scores as the main thread for a multi-key input', async () => {
    const run = async (workers: string) => {
      const sink = path.join(dir, `w${workers}.arrows`);
      const result = await cli(['run', '--records', '240', '--keys', '3', '--workers', workers, '--sink', `arrow:${sink}`, '--json', ...memoryFlags]);
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      return { summary: JSON.parse(result.out) as { workers: number; keys: number; records: number; meanLoss: number }, scores: await scores(sink) };
    };
    const inThread = await run('0');
    const pooled = await run('2');
    expect(inThread.summary.workers).toBe(0);
    expect(pooled.summary.workers).toBe(2);
    expect(pooled.summary.keys).toBe(3);
    expect(pooled.summary.records).toBe(240);
    expect(inThread.scores.size).toBe(240);
    expect(pooled.scores).toEqual(inThread.scores);
    expect(pooled.summary.meanLoss).toBe(inThread.summary.meanLoss);
    // The keys are separate memories: one key alone scores differently.
    const oneKey = await cli(['run', '--records', '240', '--workers', '1', '--json', ...memoryFlags]);
    expect((JSON.parse(oneKey.out) as { meanLoss: number }).meanLoss).not.toBe(inThread.summary.meanLoss);
  }, 120_000);

  it('shows a progress line with an ETA only when asked (not a terminal here)', async () => {
    const quiet = await cli(['run', '--records', '400', '--workers', '0', '--json', ...memoryFlags]);
    expect(quiet.err).toBe('');
    const shown = await cli(['run', '--records', '400', '--workers', '0', '--json', '--progress', ...memoryFlags]);
    expect(shown.code).toBe(0);
    expect(shown.err).toMatch(/\r\d+ records, \d+ tokens, [\d.]+k?\/s tokens, surprise [\d.]+, [\d.]+s, [\d.]+%, ETA [\d.]+s/);
    expect(JSON.parse(shown.out)).toMatchObject({ records: 400 });
  }, 60_000);

  it('rejects --keys with --snapshot-dir or a Kafka source, and a bad --workers', async () => {
    expect((await cli(['run', '--keys', '2', '--snapshot-dir', dir])).err).toMatch(/--keys > 1 cannot resume/);
    expect((await cli(['run', '--keys', '2', '--source', 'kafka:t'])).err).toMatch(/one memory per partition/);
    const bad = await cli(['run', '--untrained', '--workers', 'all']);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/--workers must be an integer/);
  });
});

describe('run --metrics-port', () => {
  it('serves Prometheus metrics while running: the layer families, process metrics, and counters that grow', async () => {
    const scrapes: string[] = [];
    let scraping: Promise<void> | undefined;
    const result = await cli(['run', '--records', '1500', '--keys', '2', '--workers', '2', '--metrics-port', '0', '--json', ...memoryFlags], (err) => {
      const url = /metrics on (http:\S+)/.exec(err)?.[1];
      if (url === undefined || scraping !== undefined) return;
      scraping = (async () => {
        // Scrape while the run goes on, until two scrapes show different token counts.
        for (let i = 0; i < 200; i++) {
          scrapes.push(await (await fetch(url)).text());
          const tokens = scrapes.map((s) => value(s, 'titans_tokens_total')).filter((t) => t > 0);
          if (new Set(tokens).size >= 2) return;
          await new Promise((r) => setTimeout(r, 50));
        }
      })();
    });
    await scraping;
    expect(result.code).toBe(0);
    const [first, last] = [scrapes.find((s) => value(s, 'titans_tokens_total') > 0) ?? '', scrapes.at(-1) ?? ''];
    for (const family of [
      'titans_tokens_total counter',
      'titans_records_total counter',
      'titans_chunk_latency_seconds histogram',
      'titans_record_surprise summary',
      'titans_live_memories gauge',
      'titans_tensors gauge',
      'process_resident_memory_bytes gauge',
    ]) {
      expect(last).toContain(`# TYPE ${family}`);
    }
    expect(value(last, 'titans_tokens_total')).toBeGreaterThan(value(first, 'titans_tokens_total'));
    expect(value(last, 'titans_records_total')).toBeGreaterThanOrEqual(value(first, 'titans_records_total'));
    expect(value(last, 'titans_live_memories')).toBe(2);
    expect(value(last, 'titans_tensors')).toBeGreaterThan(0);
    expect(value(last, 'titans_chunk_latency_seconds_count')).toBeGreaterThan(0);
    expect(value(last, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect((JSON.parse(result.out) as { records: number }).records).toBe(1500);
  }, 120_000);
});

function value(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line === undefined ? NaN : Number(line.slice(name.length + 1));
}
