import { describe, expect, it } from 'vitest';
import { defaultModelDirectory } from '../../cli/run/default-model.js';
import { runCli } from '../support/run-cli.js';

const cli = (args: string[], env: NodeJS.ProcessEnv = {}) => runCli(args, { env });

describe('titans-stream CLI', () => {
  it('prints help with the commands and exits 0', async () => {
    const { code, out } = await cli(['--help']);
    expect(code).toBe(0);
    expect(out).toMatch(/Usage: titans-stream <command>/);
    expect(out).toMatch(/\brun\b/);
  });

  it('prints the package version', async () => {
    const { code, out } = await cli(['--version']);
    expect(code).toBe(0);
    expect(out.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it.each([
    [['--frob'], /Unknown option '--frob'/],
    [['launch'], /unknown command "launch"/],
    [['run', '--bogus'], /Unknown option '--bogus'/],
    [['run', '--chunk-size', '0'], /--chunk-size must be an integer/],
    [['run', '--records', 'many'], /--records must be an integer/],
    [['run', '--backend', 'gpu'], /--backend must be one of/],
    [['run', '--source', 'ftp:x'], /unknown kind "ftp"/],
  ])('rejects %j with one line on stderr and exit code 2', async (args, message) => {
    const { code, err } = await cli(args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('fails with exit code 1 and names the package when the tensorflow backend is missing', async () => {
    const { code, err } = await cli(['run', '--records', '10'], { TITANS_BACKEND: 'tensorflow' });
    expect(code).toBe(1);
    expect(err).toMatch(/@tensorflow\/tfjs-node/);
  });

  it('runs the main job on the sample input and reports the backend it used', async () => {
    const { code, out } = await cli(['run', '--untrained', '--records', '20', '--json', '--dim', '16'], { TITANS_BACKEND: 'cpu' });
    expect(code).toBe(0);
    const summary = JSON.parse(out) as { backend: string; tokens: number };
    expect(summary.backend).toBe('cpu');
    expect(summary.tokens).toBeGreaterThan(200);
  });
});

describe('titans-stream run', () => {
  it('runs the trained model shipped in models/default by default, its surprise in bits per byte', async () => {
    const { code, out } = await cli(['run', '--records', '12', '--json'], { TITANS_BACKEND: 'wasm' });
    expect(code).toBe(0);
    const summary = JSON.parse(out) as { records: number; workers: number; model?: { dir: string; arch: string; parameters: number }; bitsPerByte?: number };
    expect(summary.records).toBe(12);
    expect(summary.workers).toBe(0);
    expect(summary.model?.dir).toBe(defaultModelDirectory());
    expect(summary.model?.dir).toMatch(/models[/\\]default$/);
    expect(summary.model?.parameters).toBeGreaterThan(1000);
    expect(summary.bitsPerByte).toBeGreaterThan(0);
    expect(summary.bitsPerByte).toBeLessThan(16);
  });

  it.each([
    [['run', '--dim', '16'], /--dim shapes the untrained memory: add --untrained/],
    [['run', '--depth', '1', '--lr', '0.1'], /--depth, --lr shape the untrained memory/],
    [['run', '--workers', '2'], /a trained model runs in the main thread; add --untrained/],
    [['run', '--untrained', '--model', 'models/default'], /--model and --untrained exclude each other/],
  ])('rejects %j: the memory flags and worker threads need --untrained', async (args, message) => {
    const { code, err } = await cli(args);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  it('scores records with the memory and lists the most surprising ones with their positions', async () => {
    const { code, out } = await cli(['run', '--untrained', '--records', '300', '--json', '--top', '3'], { TITANS_BACKEND: 'wasm' });
    expect(code).toBe(0);
    const summary = JSON.parse(out) as { records: number; tokens: number; meanLoss: number; mostSurprising: { position: { kind: string; index: number }; meanLoss: number }[] };
    expect(summary.records).toBe(300);
    expect(Number.isFinite(summary.meanLoss)).toBe(true);
    expect(summary.mostSurprising).toHaveLength(3);
    const losses = summary.mostSurprising.map((r) => r.meanLoss);
    expect([...losses].sort((a, b) => b - a)).toEqual(losses);
    expect(summary.mostSurprising[0]?.position.kind).toBe('stream');
  });

  it('snapshot inspect prints the covered positions and per-tensor checksums of a run snapshot', async () => {
    const { mkdtemp, readdir, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const dir = await mkdtemp(path.join(tmpdir(), 'titans-cli-'));
    try {
      expect((await cli(['run', '--untrained', '--records', '50', '--dim', '16', '--snapshot-dir', dir, '--json'], { TITANS_BACKEND: 'wasm' })).code).toBe(0);
      const [file] = (await readdir(dir)).filter((f) => f.endsWith('.snap'));
      const { code, out } = await cli(['snapshot', 'inspect', path.join(dir, file ?? ''), '--json']);
      expect(code).toBe(0);
      const summary = JSON.parse(out) as { key: string; covers: { records: number }; tensors: { checksum: string }[] };
      expect(summary.key).toBe('sample-logs');
      expect(summary.covers.records).toBe(50);
      expect(summary.tensors.length).toBeGreaterThan(0);
      expect((await cli(['snapshot', 'inspect', path.join(dir, 'missing.snap')])).code).toBe(1);
      expect((await cli(['snapshot', 'frobnicate'])).code).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
