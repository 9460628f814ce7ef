import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTextToArrow, readArrowRecords } from '../../connectors/arrow/index.js';
import { DirectoryMemoryStore } from '../../connectors/fs/index.js';
import { resolveTokenMemoryConfig } from '../../src/memory/index.js';
import { sampleLogLines } from '../../src/sample/index.js';
import type { MemorySnapshot } from '../../src/snapshot/index.js';
import { toArray } from '../../src/stream/index.js';

const root = path.resolve(import.meta.dirname, '../..');
const memoryFlags = ['--untrained', '--dim', '16', '--chunk-size', '32', '--lr', '0.05', '--memory-seed', '3'];
const config = resolveTokenMemoryConfig({ vocabSize: 260, dim: 16, depth: 2, chunkSize: 32, learningRate: 0.05, seed: 3 });

function startRun(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'cli/bin.ts', 'run', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TITANS_BACKEND: 'wasm' } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, stderr })));
  return { child, exited };
}

async function latestSnapshot(dir: string, key: string): Promise<MemorySnapshot> {
  const snapshot = await new DirectoryMemoryStore(dir).load(key, { config });
  if (snapshot === undefined) throw new Error(`no snapshot in ${dir}`);
  return snapshot;
}

async function outputRows(file: string): Promise<string[]> {
  const rows = await toArray(readArrowRecords(file, { column: 'position' }));
  return rows.map((r) => String(r.value));
}

describe('run --snapshot-dir: crash and resume', () => {
  let dir = '';
  let input = '';
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'titans-resume-'));
    const text = path.join(dir, 'logs.txt');
    await writeFile(text, [...sampleLogLines({ count: 700, seed: 9, anomalyRate: 0.01 })].map((l) => l.line).join('\n') + '\n');
    input = path.join(dir, 'logs.arrows');
    await convertTextToArrow({ from: text, to: input, batchRows: 50 });
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('a run killed with SIGKILL mid-stream and restarted ends with the same memory and every output exactly once', async () => {
    const args = (name: string) => ['--source', `arrow:${input}`, '--sink', `arrow:${path.join(dir, `${name}.arrows`)}`, '--snapshot-dir', path.join(dir, `${name}-snapshots`), '--snapshot-every', '4', ...memoryFlags];

    const reference = await startRun(args('reference')).exited;
    expect(reference.stderr).toBe('');
    expect(reference.code).toBe(0);

    // Kill once at least two snapshots exist, after a random extra delay, then run to completion.
    const victim = startRun(args('crashed'));
    const snapshotDir = path.join(dir, 'crashed-snapshots');
    for (;;) {
      const files = await readdir(snapshotDir).catch(() => [] as string[]);
      if (files.filter((f) => f.endsWith('.snap')).length >= 2) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, Math.random() * 300));
    victim.child.kill('SIGKILL');
    const killed = await victim.exited;
    expect(killed.signal).toBe('SIGKILL');
    const resumed = await startRun(args('crashed')).exited;
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);

    const a = await latestSnapshot(path.join(dir, 'reference-snapshots'), input);
    const b = await latestSnapshot(snapshotDir, input);
    expect(b.state.tokensSeen).toBe(a.state.tokensSeen);
    expect(b.covers).toEqual(a.covers);
    for (const [i, arr] of b.state.arrays.entries()) {
      const ref = a.state.arrays[i];
      expect(arr.name).toBe(ref?.name);
      let maxDiff = 0;
      arr.data.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - (ref?.data[j] ?? NaN)))));
      expect(maxDiff).toBeLessThanOrEqual(1e-6);
    }

    const expected = await outputRows(path.join(dir, 'reference.arrows'));
    const got = await outputRows(path.join(dir, 'crashed.arrows'));
    expect(expected.length).toBe(700);
    expect(got).toEqual(expected);
  }, 120_000);
});

describe('run over a damaged Arrow input', () => {
  it('writes the outputs of every complete batch, then fails naming the file and batch', async () => {
    const { copyFile, mkdtemp, rm, stat, truncate } = await import('node:fs/promises');
    const dir = await mkdtemp(path.join(tmpdir(), 'titans-damaged-'));
    try {
      const text = path.join(dir, 'logs.txt');
      await writeFile(text, [...sampleLogLines({ count: 200, seed: 4 })].map((l) => l.line).join('\n') + '\n');
      const good = path.join(dir, 'good.arrows');
      await convertTextToArrow({ from: text, to: good, batchRows: 50 });
      const damaged = path.join(dir, 'damaged.arrows');
      await copyFile(good, damaged);
      await truncate(damaged, (await stat(good)).size - 700); // cuts into the last batch
      const out = path.join(dir, 'out.arrows');
      const run = await startRun(['--source', `arrow:${damaged}`, '--sink', `arrow:${out}`, ...memoryFlags]).exited;
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/damaged\.arrows/);
      expect(run.stderr).toMatch(/batch 3/);
      expect(run.stderr).toMatch(/ERR_ARROW_CORRUPT/);
      const rows = await outputRows(out);
      expect(rows.length).toBe(150);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
