import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCheckpoint } from '../../src/model/index.js';
import { runCli } from '../support/run-cli.js';

let dir: string;
let text: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'titans-train-'));
  text = join(dir, 'small.txt');
  await writeFile(text, 'the cat sat on the mat.\nthe dog sat on the log.\n'.repeat(40));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
  err: string;
  lines: Record<string, unknown>[];
}

async function cli(args: string[], options: { tty?: boolean; abortAfterStep?: number } = {}): Promise<Run> {
  const controller = new AbortController();
  const stepLine = `{"type":"step","step":${options.abortAfterStep},`;
  const { code, out, err } = await runCli(['train', ...args], {
    tty: options.tty ?? false,
    signal: controller.signal,
    onStdout: (text) => {
      if (options.abortAfterStep !== undefined && text.includes(stepLine)) controller.abort();
    },
  });
  const lines = options.tty ? [] : out.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
  return { code, out, err, lines };
}

const tiny = ['--dim', '16', '--layers', '1', '--heads', '2', '--segment', '8', '--window', '12', '--persistent', '2', '--batch', '2', '--seq-len', '16', '--eval-tokens', '64'];

describe('titans-stream train', () => {
  it('trains, evaluates the held-out tail, writes loadable checkpoints and reports JSON lines', async () => {
    const out = join(dir, 'run-a');
    const r = await cli(['--data', `text:${text}`, '--arch', 'mag', ...tiny, '--steps', '6', '--eval-every', '3', '--log-every', '1', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.lines.map((l) => l['type'])).toEqual(['start', 'step', 'step', 'step', 'eval', 'checkpoint', 'step', 'step', 'step', 'eval', 'checkpoint', 'done']);
    const start = r.lines[0] as Record<string, number>;
    expect(start).toMatchObject({ arch: 'mag', steps: 6, dataTokens: 1920, heldOutTokens: 96, trainTokens: 1824 });
    expect(start['unigramBitsPerByte']).toBeGreaterThan(2);
    const evals = r.lines.filter((l) => l['type'] === 'eval');
    expect(evals.every((e) => typeof e['bitsPerByte'] === 'number' && e['tokens'] === 64)).toBe(true);
    const steps = r.lines.filter((l) => l['type'] === 'step') as { step: number; loss: number; tokensPerSec: number }[];
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(steps.every((s) => s.loss > 0 && s.tokensPerSec > 0)).toBe(true);
    const loaded = await loadCheckpoint({ location: out, read: async (n) => readFile(join(out, n)).catch(() => undefined), write: async () => undefined });
    expect(loaded.manifest.step).toBe(6);
    expect(loaded.model.config).toMatchObject({ arch: 'mag', dim: 16, segment: 8 });
    loaded.model.dispose();
  });

  it('--resume continues an interrupted run exactly (optimizer and sampler included)', async () => {
    const args = (out: string) => ['--data', `text:${text}`, '--arch', 'mac', ...tiny, '--steps', '4', '--log-every', '1', '--eval-every', '100', '--out', out];
    const straight = await cli(args(join(dir, 'straight')));
    expect(straight.code).toBe(0);
    const out = join(dir, 'interrupted');
    const first = await cli(args(out), { abortAfterStep: 2 });
    expect(first.code).toBe(130);
    expect(first.err).toMatch(/interrupted at step 2; checkpoint saved/);
    const resumed = await cli(['--data', `text:${text}`, '--out', out, '--resume', '--log-every', '1']);
    expect(resumed.err).toBe('');
    expect(resumed.code).toBe(0);
    const losses = (r: Run) => r.lines.filter((l) => l['type'] === 'step').map((l) => [l['step'], l['loss']]);
    expect(losses(resumed)).toEqual(losses(straight).slice(2));
  });

  it('draws a progress line with step, loss, tokens/s and ETA on a terminal', async () => {
    const r = await cli(['--data', `text:${text}`, '--arch', 'lmm', ...tiny, '--steps', '3', '--out', join(dir, 'tty'), '--progress'], { tty: true });
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/step \d\/3 {2}loss \d+\.\d{3} {2}[\d.]+k?\/s tokens {2}ETA /);
    expect(r.out).toMatch(/^lmm: \d+ parameters/);
    expect(r.out).toMatch(/done: step 3, loss/);
    expect(r.out).not.toMatch(/"type"/);
  });

  it('reads an Arrow text column like the text file', async () => {
    const arrow = join(dir, 'small.arrows');
    const converted = await runCli(['convert', '--from', `text:${text}`, '--to', `arrow:${arrow}`]);
    expect(converted.code).toBe(0);
    const r = await cli(['--data', `arrow:${arrow}#text`, '--arch', 'swa', ...tiny, '--steps', '1', '--out', join(dir, 'arrow')]);
    expect(r.code).toBe(0);
    expect(r.lines[0]).toMatchObject({ dataTokens: 1920, data: `arrow:${arrow}#text` });
  });

  it.each([
    [['--arch', 'mac', '--out', 'x'], 2, /--data is required/],
    [['--data', 'text:x', '--out', 'x'], 2, /--arch is required/],
    [['--data', 'text:x', '--arch', 'gpt', '--out', 'x'], 2, /--arch must be one of mac, mag, mal, lmm, swa/],
    [['--data', 'ftp:x', '--arch', 'mac', '--out', 'x'], 2, /unknown kind "ftp"/],
    [['--data', 'text:x', '--out', 'x', '--resume', '--dim', '8'], 2, /--resume continues the saved run; drop --dim/],
    [['--data', 'text:x', '--arch', 'mac', '--segment', '8', '--seq-len', '12', '--out', 'x'], 1, /seqLen.*multiple of the segment 8/],
  ])('rejects %j (exit %i)', async (args, code, message) => {
    const r = await cli(args.map((a) => (a === 'x' ? join(dir, 'nowhere') : a === 'text:x' ? `text:${text}` : a)));
    expect(r.code).toBe(code);
    expect(r.err).toMatch(message);
  });

  it('refuses to overwrite a checkpoint, to resume on other data, and reports a missing file', async () => {
    const out = join(dir, 'run-a'); // written by the first test
    const again = await cli(['--data', `text:${text}`, '--arch', 'mag', ...tiny, '--steps', '1', '--out', out]);
    expect(again.code).toBe(2);
    expect(again.err).toMatch(/already holds a checkpoint; pass --resume/);
    const other = join(dir, 'other.txt');
    await writeFile(other, 'something else entirely\n'.repeat(30));
    const wrong = await cli(['--data', `text:${other}`, '--out', out, '--resume']);
    expect(wrong.code).toBe(2);
    expect(wrong.err).toMatch(/is not the data of the saved run/);
    const missing = await cli(['--data', `text:${join(dir, 'nope.txt')}`, '--arch', 'mac', '--out', join(dir, 'm')]);
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/nope\.txt/);
  });

  it('--stream-windows trains on consecutive windows with the state carried, and saves the option for --resume', async () => {
    const out = join(dir, 'stateful');
    const r = await cli(['--data', `text:${text}`, '--arch', 'lmm', ...tiny, '--stream-windows', '3', '--steps', '4', '--log-every', '1', '--eval-every', '100', '--out', out]);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect((r.lines[0] as { options: { streamWindows: number } }).options.streamWindows).toBe(3);
    expect(r.lines.filter((l) => l['type'] === 'step').every((l) => Number.isFinite(l['loss']))).toBe(true);
    const loaded = await loadCheckpoint({ location: out, read: async (n) => readFile(join(out, n)).catch(() => undefined), write: async () => undefined });
    expect(loaded.trainer?.options.streamWindows).toBe(3);
    loaded.model.dispose();
    const conflict = await cli(['--data', `text:${text}`, '--out', out, '--resume', '--stream-windows', '2']);
    expect(conflict.code).toBe(2);
    expect(conflict.err).toMatch(/drop --stream-windows/);
  });
});
