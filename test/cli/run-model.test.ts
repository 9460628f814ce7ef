import { appendFile, cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { convertTextToArrow } from '../../connectors/arrow/index.js';
import { sampleLogLines } from '../../src/sample/index.js';
import { runCli } from '../support/run-cli.js';

let dir: string;
let modelDir: string;
let logs: string[];

const cli = (args: string[]) => runCli(args);

const tinyModel = ['--dim', '16', '--layers', '1', '--heads', '2', '--segment', '8', '--window', '12', '--persistent', '2', '--batch', '2', '--seq-len', '16', '--eval-tokens', '64'];

async function train(out: string, arch: string, seed: number): Promise<void> {
  const r = await cli(['train', '--data', `text:${join(dir, 'train.txt')}`, '--arch', arch, ...tinyModel, '--seed', String(seed), '--steps', '3', '--eval-every', '100', '--out', out]);
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
}

/** Per-record rows of an Arrow sink: position and mean loss. */
async function rows(file: string): Promise<{ position: string; meanLoss: number }[]> {
  const table = tableFromIPC(await readFile(file));
  return Array.from({ length: table.numRows }, (_, i) => ({ position: String(table.getChild('position')?.get(i)), meanLoss: Number(table.getChild('mean_loss')?.get(i)) }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'titans-run-model-'));
  logs = [...sampleLogLines({ count: 60, seed: 4 })].map((l) => l.line);
  await writeFile(join(dir, 'train.txt'), logs.join('\n') + '\n');
  modelDir = join(dir, 'model');
  await train(modelDir, 'mag', 0);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('titans-stream run --model', () => {
  it('scores every record of a text file with the trained model, and writes them to an Arrow sink', async () => {
    const input = join(dir, 'score.txt');
    await writeFile(input, logs.slice(0, 12).join('\n') + '\n');
    const r = await cli(['run', '--model', modelDir, '--source', `text:${input}`, '--sink', `arrow:${join(dir, 'scores.arrows')}`, '--json']);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.out) as { records: number; tokens: number; meanLoss: number; bitsPerByte: number; model: { arch: string; step: number; segment: number }; chunkSize: number };
    expect(summary.records).toBe(12);
    expect(summary.model).toMatchObject({ arch: 'mag', step: 3, segment: 8 });
    expect(summary.chunkSize).toBe(32);
    expect(summary.bitsPerByte).toBeCloseTo(summary.meanLoss / Math.LN2, 6);
    expect(summary.bitsPerByte).toBeGreaterThan(0);
    const written = await rows(join(dir, 'scores.arrows'));
    expect(written).toHaveLength(12);
    expect(written.every((row) => Number.isFinite(row.meanLoss) && row.meanLoss > 0)).toBe(true);
    const text = await cli(['run', '--model', modelDir, '--source', `text:${input}`]);
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/model {5}mag from .* \(step 3, \d+ parameters, dim 16, 1 block\(s\), segment 8\), chunk 32/);
    expect(text.out).toMatch(/mean negative log-likelihood [\d.]+ nats \([\d.]+ bits\/byte\)/);
  });

  it('runs over the sample source and an Arrow file too', async () => {
    const sample = await cli(['run', '--model', modelDir, '--source', 'sample', '--records', '4', '--json']);
    expect(sample.err).toBe('');
    expect((JSON.parse(sample.out) as { records: number }).records).toBe(4);
    const text = join(dir, 'arrow-input.txt');
    await writeFile(text, logs.slice(0, 5).join('\n') + '\n');
    await convertTextToArrow({ from: text, to: join(dir, 'input.arrows'), batchRows: 2 });
    const arrow = await cli(['run', '--model', modelDir, '--source', `arrow:${join(dir, 'input.arrows')}`, '--json']);
    expect(arrow.err).toBe('');
    expect((JSON.parse(arrow.out) as { records: number }).records).toBe(5);
  });

  it('with --snapshot-dir a second run resumes where the first stopped: the outputs equal one uninterrupted run', async () => {
    const whole = join(dir, 'whole.txt');
    await writeFile(whole, logs.slice(0, 20).join('\n') + '\n');
    const reference = await cli(['run', '--model', modelDir, '--source', `text:${whole}`, '--sink', `arrow:${join(dir, 'reference.arrows')}`, '--json']);
    expect(reference.code).toBe(0);

    const growing = join(dir, 'growing.txt');
    await writeFile(growing, logs.slice(0, 11).join('\n') + '\n');
    const args = ['run', '--model', modelDir, '--source', `text:${growing}`, '--sink', `arrow:${join(dir, 'resumed.arrows')}`, '--snapshot-dir', join(dir, 'snapshots'), '--snapshot-every', '3', '--json'];
    const first = await cli(args);
    expect(first.err).toBe('');
    expect(first.code).toBe(0);
    expect((JSON.parse(first.out) as { resumed: unknown }).resumed).toBeNull();
    await appendFile(growing, logs.slice(11, 20).join('\n') + '\n');
    const second = await cli(args);
    expect(second.err).toBe('');
    expect(second.code).toBe(0);
    const resumed = JSON.parse(second.out) as { records: number; resumed: { tokensSeen: number } | null };
    expect(resumed.records).toBe(9);
    expect(resumed.resumed?.tokensSeen).toBeGreaterThan(0);

    const expected = await rows(join(dir, 'reference.arrows'));
    const got = await rows(join(dir, 'resumed.arrows'));
    expect(got.map((x) => x.position.replace(growing, 'F'))).toEqual(expected.map((x) => x.position.replace(whole, 'F')));
    got.forEach((x, i) => expect(x.meanLoss).toBeCloseTo(expected[i]?.meanLoss ?? NaN, 4));
  });

  it('refuses to resume snapshots of another model', async () => {
    const other = join(dir, 'other-model');
    await train(other, 'mag', 1);
    const input = join(dir, 'small.txt');
    await writeFile(input, logs.slice(0, 5).join('\n') + '\n');
    const snapshots = join(dir, 'snapshots-other');
    expect((await cli(['run', '--model', modelDir, '--source', `text:${input}`, '--snapshot-dir', snapshots])).code).toBe(0);
    const r = await cli(['run', '--model', other, '--source', `text:${input}`, '--snapshot-dir', snapshots]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/does not fit: it was taken with another model \(mag, weights [0-9a-f]{16}\); this model is mag with weights [0-9a-f]{16}.*\[ERR_SNAPSHOT_CONFIG\]/);
  });

  it('reports a bad model directory with the file and the problem (exit 1), and bad flags as usage errors (exit 2)', async () => {
    const input = join(dir, 'small.txt');
    const run = (model: string, ...extra: string[]) => cli(['run', '--model', model, '--source', `text:${input}`, ...extra]);

    const missing = await run(join(dir, 'nope'));
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/checkpoint .*nope: no such directory \[ERR_CHECKPOINT_MISSING\]/);

    const file = await run(input);
    expect(file.code).toBe(1);
    expect(file.err).toMatch(/small\.txt: is a file, expected a directory/);

    const broken = join(dir, 'broken');
    await mkdir(broken);
    await cp(join(modelDir, 'config.json'), join(broken, 'config.json'));
    const noWeights = await run(broken);
    expect(noWeights.code).toBe(1);
    expect(noWeights.err).toMatch(/broken: model\.safetensors: file is missing \[ERR_CHECKPOINT_MISSING\]/);

    const weights = await readFile(join(modelDir, 'model.safetensors'));
    await writeFile(join(broken, 'model.safetensors'), weights.subarray(0, weights.length - 100));
    const truncated = await run(broken);
    expect(truncated.code).toBe(1);
    expect(truncated.err).toMatch(/model\.safetensors.*\[ERR_CHECKPOINT_FORMAT\]/);

    await writeFile(join(broken, 'config.json'), '{ not json');
    const badConfig = await run(broken);
    expect(badConfig.code).toBe(1);
    expect(badConfig.err).toMatch(/broken: config\.json: is not valid JSON \[ERR_CHECKPOINT_FORMAT\]/);

    const conflicting = await run(modelDir, '--dim', '32');
    expect(conflicting.code).toBe(2);
    expect(conflicting.err).toMatch(/--dim shapes the untrained memory: add --untrained/);
  });
});
