import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readArrowRecords } from '../../connectors/arrow/index.js';
import type { ArrowPosition } from '../../src/records/index.js';
import { runCli } from '../support/run-cli.js';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'titans-convert-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const cli = (args: string[], signal = new AbortController().signal, onStderr?: () => void) => runCli(args, { env: {}, signal, ...(onStderr === undefined ? {} : { onStderr }) });

async function column(path: string, name: string): Promise<{ values: (string | number)[]; positions: ArrowPosition[] }> {
  const values: (string | number)[] = [];
  const positions: ArrowPosition[] = [];
  for await (const record of readArrowRecords(path, { column: name })) {
    values.push(record.tokens ? (record.tokens[0] as number) : (record.value as string));
    positions.push(record.position as ArrowPosition);
  }
  return { values, positions };
}

const LINES = ['2024-01-15T08:00:00Z INFO auth: login ok', '', 'héllo wörld ✓ 😀', '\ttabbed\tline', 'last line without newline'];

async function textFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('titans-stream convert', () => {
  it('converts text into an Arrow stream whose text column reads back as the same lines', async () => {
    const input = await textFile('a.log', LINES.join('\n'));
    const output = join(dir, 'a.arrows');
    const { code, out, err } = await cli(['convert', '--from', `text:${input}`, '--to', `arrow:${output}`]);
    expect(err).toBe('');
    expect(code).toBe(0);
    expect(out).toMatch(new RegExp(`^converted ${LINES.length} records into 1 batches, \\d+ bytes .*stream`));
    expect(out.trim().split('\n')).toHaveLength(1);
    expect((await column(output, 'text')).values).toEqual(LINES);
    expect((await column(output, 'line')).values).toEqual(LINES.map((_, i) => i + 1));
    // Each byte_offset is where its line starts in the input.
    const bytes = await readFile(input);
    const offsets = (await column(output, 'byte_offset')).values as number[];
    expect(offsets.map((o, i) => bytes.toString('utf8', o, o + Buffer.byteLength(LINES[i] as string)))).toEqual(LINES);
    expect((await readFile(output)).subarray(0, 6).toString('latin1')).not.toBe('ARROW1');
  });

  it('writes the file format for .arrow, or when --format file says so, with a JSON summary', async () => {
    const input = await textFile('b.log', LINES.join('\r\n') + '\r\n');
    for (const [name, extra] of [
      ['b.arrow', []],
      ['b.arrows', ['--format', 'file']],
    ] as const) {
      const output = join(dir, name);
      const { code, out } = await cli(['convert', '--from', `text:${input}`, '--to', `arrow:${output}`, '--json', ...extra]);
      expect(code).toBe(0);
      const summary = JSON.parse(out) as { format: string; records: number; batches: number; bytes: number; seconds: number };
      expect(summary).toMatchObject({ format: 'file', records: LINES.length, batches: 1 });
      const written = await readFile(output);
      expect(summary.bytes).toBe(written.byteLength);
      expect(summary.seconds).toBeGreaterThanOrEqual(0);
      expect(written.subarray(0, 6).toString('latin1')).toBe('ARROW1');
      expect(written.subarray(-6).toString('latin1')).toBe('ARROW1');
      expect((await column(output, 'text')).values).toEqual(LINES);
    }
  });

  it('splits on --delimiter (escapes understood) into batches of --batch-rows', async () => {
    const records = Array.from({ length: 10 }, (_, i) => `record ${i}\nwith a newline`);
    const input = await textFile('c.txt', records.join('\0'));
    const output = join(dir, 'c.arrows');
    const { code, out } = await cli(['convert', '--from', `text:${input}`, '--to', `arrow:${output}`, '--delimiter', '\\0', '--batch-rows', '3', '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ format: 'stream', records: 10, batches: 4 });
    const { values, positions } = await column(output, 'text');
    expect(values).toEqual(records);
    expect(positions.map((p) => [p.batch, p.row])).toEqual(records.map((_, i) => [Math.floor(i / 3), i % 3]));
  });

  it('reads stdin with --from - (through the real binary)', async () => {
    const output = join(dir, 'stdin.arrows');
    const bin = fileURLToPath(new URL('../../cli/bin.ts', import.meta.url));
    const out = await new Promise<string>((done, fail) => {
      const child = execFile(process.execPath, ['--import', 'tsx', bin, 'convert', '--from', '-', '--to', `arrow:${output}`, '--json'], (error, stdout, stderr) =>
        error ? fail(new Error(`${error.message}\n${stderr}`)) : done(stdout),
      );
      child.stdin?.end(LINES.join('\n') + '\n');
    });
    expect(JSON.parse(out)).toMatchObject({ from: '-', records: LINES.length });
    expect((await column(output, 'text')).values).toEqual(LINES);
  });

  it('converts an empty file into an empty but readable stream', async () => {
    const input = await textFile('empty.log', '');
    const output = join(dir, 'empty.arrows');
    const { code, out } = await cli(['convert', '--from', `text:${input}`, '--to', `arrow:${output}`, '--json']);
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ records: 0, batches: 0 });
    expect((await column(output, 'text')).values).toEqual([]);
  });

  it.each([
    [['--from', 'text:x.log', '--to', 'parquet:x.parquet'], /--to "parquet:x.parquet": unknown kind "parquet"/],
    [['--from', 'text:x.log', '--to', '-'], /expected arrow:<file>/],
    [['--from', 'text:x.log', '--to', 'arrow:'], /expected arrow:<file>/],
    [['--from', 'kafka:t', '--to', 'arrow:x.arrows'], /unknown kind "kafka"/],
    [['--from', 'text:', '--to', 'arrow:x.arrows'], /--from text: needs a file/],
    [['--to', 'arrow:x.arrows'], /needs --from/],
    [['--from', 'text:x.log'], /needs --to/],
    [['--from', 'text:x.log', '--to', 'arrow:x.log'], /same file/],
    [['--from', 'text:x.log', '--to', 'arrow:x.arrows', '--format', 'zip'], /--format must be one of stream, file/],
    [['--from', 'text:x.log', '--to', 'arrow:x.arrows', '--batch-rows', '0'], /--batch-rows must be an integer/],
    [['--from', 'text:x.log', '--to', 'arrow:x.arrows', '--delimiter', ''], /--delimiter must not be empty/],
    [['--from', 'text:x.log', '--to', 'arrow:x.arrows', '--delimiter', '\\q'], /unknown escape "\\q"/],
    [['--from', 'text:x.log', '--to', 'arrow:x.arrows', '--colour'], /Unknown option '--colour'/],
    [['--from', 'text:x.log', '--to', 'arrow:x.arrows', 'extra'], /Unexpected argument 'extra'/],
  ])('rejects %j with one line on stderr and exit code 2', async (args, message) => {
    const { code, err } = await cli(['convert', ...args]);
    expect(err).toMatch(message);
    expect(code).toBe(2);
    expect(err.trim().split('\n')).toHaveLength(1);
  });

  it('fails with exit code 1 naming a missing input file, and creates no output', async () => {
    const input = join(dir, 'no-such.log');
    const output = join(dir, 'never.arrows');
    const { code, err } = await cli(['convert', '--from', `text:${input}`, '--to', `arrow:${output}`]);
    expect(code).toBe(1);
    expect(err).toContain(`no such file: ${input}`);
    expect(existsSync(output)).toBe(false);
  });

  it('fails with exit code 1 when the input is a directory', async () => {
    const { code, err } = await cli(['convert', '--from', `text:${dir}`, '--to', `arrow:${join(dir, 'd.arrows')}`]);
    expect(code).toBe(1);
    expect(err).toContain(`not a regular file: ${dir}`);
  });

  it('draws progress with --progress, and removes its partial output when interrupted', async () => {
    const input = await textFile('big.log', Array.from({ length: 200_000 }, (_, i) => `line ${i} of a longer log`).join('\n'));
    const output = join(dir, 'big.arrows');
    const controller = new AbortController();
    // The first progress line comes after 1024 records: the output exists by then.
    let sawOutput = false;
    const { code, err } = await cli(['convert', '--from', `text:${input}`, '--to', `arrow:${output}`, '--progress', '--batch-rows', '256'], controller.signal, () => {
      sawOutput ||= existsSync(output);
      controller.abort();
    });
    expect(err).toMatch(/\r1024 records, [\d.]+ MB\/s, [\d.]+s, [\d.]+%, ETA [\dms.]+/);
    expect(sawOutput).toBe(true);
    expect(code).toBe(130);
    expect(existsSync(output)).toBe(false);
  });
});
