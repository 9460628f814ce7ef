import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTextRecords, writeTextLines } from '../../../connectors/text/index.js';
import { ConfigError } from '../../../src/errors/index.js';

let dir: string;
beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'titans-write-'));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});

describe('writeTextLines', () => {
  it('writes each line followed by the delimiter and reports lines and bytes', async () => {
    const file = path.join(dir, 'a.log');
    const lines = ['one', '', 'drei — ✓', '🚀'];
    const result = await writeTextLines(file, lines);
    const expected = lines.map((l) => `${l}\n`).join('');
    expect(await fsp.readFile(file, 'utf8')).toBe(expected);
    expect(result).toEqual({ lines: 4, bytes: Buffer.byteLength(expected) });
  });

  it('takes async iterables, custom delimiters, lines longer than its buffer, and appends', async () => {
    const file = path.join(dir, 'b.log');
    const long = 'L'.repeat(200_000);
    async function* source(): AsyncGenerator<string> {
      yield 'x';
      yield long;
      yield 'y';
    }
    await writeTextLines(file, source(), { delimiter: '||' });
    await writeTextLines(file, ['z'], { delimiter: '||', append: true });
    expect(await fsp.readFile(file, 'utf8')).toBe(`x||${long}||y||z||`);
    const back: unknown[] = [];
    for await (const r of readTextRecords(file, { delimiter: '||' })) back.push(r.value);
    expect(back).toEqual(['x', long, 'y', 'z']);
    expect((await writeTextLines(path.join(dir, 'empty.log'), [])).bytes).toBe(0);
  });

  it('stops on abort, keeping the lines taken before, and rejects an empty delimiter', async () => {
    const file = path.join(dir, 'c.log');
    const controller = new AbortController();
    function* lines(): Generator<string> {
      yield 'kept';
      controller.abort();
      yield 'dropped';
    }
    await expect(writeTextLines(file, lines(), { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await fsp.readFile(file, 'utf8')).toBe('kept\n');
    await expect(writeTextLines(file, ['x'], { delimiter: '' })).rejects.toBeInstanceOf(ConfigError);
  });
});
