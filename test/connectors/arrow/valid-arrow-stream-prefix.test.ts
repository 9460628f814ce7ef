import { readFile, stat, writeFile } from 'node:fs/promises';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArrowSink, validArrowStreamPrefix } from '../../../connectors/arrow/index.js';
import type { InputError } from '../../../src/errors/index.js';
import { ConfigError } from '../../../src/errors/index.js';
import { batchOf, messageRanges, tempDir, texts, writeArrowFixture } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
const next = (ext: string) => tmp.file(`p${n++}.${ext}`);

beforeAll(async () => {
  tmp = await tempDir('titans-arrow-prefix-');
});
afterAll(async () => {
  await tmp.remove();
});

const EOS = Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0);
const batches = () => [3, 1, 2].map((rows, b) => batchOf({ t: texts(Array.from({ length: rows }, (_, r) => `b${b}r${r}`)) }));

describe('validArrowStreamPrefix', () => {
  it('a complete stream: all batches and rows, bytes up to the end-of-stream marker', async () => {
    const file = next('arrows');
    const bytes = await writeArrowFixture(file, batches(), 'stream');
    expect(await validArrowStreamPrefix(file)).toEqual({ batches: 3, rows: 6, bytes: bytes.byteLength - 8, complete: true });
  });

  it('a cut stream: the prefix ends with the last complete batch and reads back (with an EOS) as those batches', async () => {
    const file = next('arrows');
    const bytes = await writeArrowFixture(file, batches(), 'stream');
    const ranges = messageRanges(bytes).filter((m) => m.type === 'batch');
    const cut = next('arrows');
    for (let length = 0; length < bytes.byteLength - 8; length += 3) {
      await writeFile(cut, bytes.subarray(0, length));
      const prefix = await validArrowStreamPrefix(cut);
      const complete = ranges.filter((r) => r.end <= length);
      expect(prefix.complete).toBe(false);
      expect(prefix.batches).toBe(complete.length);
      if (length < (ranges[0]?.offset ?? 0)) {
        expect(prefix.bytes).toBe(0);
        continue;
      }
      expect(prefix.bytes).toBe(complete.at(-1)?.end ?? ranges[0]?.offset);
      const repaired = new Uint8Array(prefix.bytes + 8);
      repaired.set(bytes.subarray(0, prefix.bytes));
      repaired.set(EOS, prefix.bytes);
      const table = tableFromIPC(repaired);
      expect(table.numRows).toBe(prefix.rows);
      // (apache-arrow shows a schema-only stream as one empty batch)
      expect(table.batches.map((b) => b.numRows).filter((rows) => rows > 0)).toEqual([3, 1, 2].slice(0, complete.length));
    }
  });

  it('maxBatches stops early', async () => {
    const file = next('arrows');
    const bytes = await writeArrowFixture(file, batches(), 'stream');
    const ranges = messageRanges(bytes).filter((m) => m.type === 'batch');
    expect(await validArrowStreamPrefix(file, { maxBatches: 2 })).toEqual({ batches: 2, rows: 4, bytes: ranges[1]?.end, complete: false });
    expect(await validArrowStreamPrefix(file, { maxBatches: 3 })).toMatchObject({ batches: 3, complete: true });
    expect(await validArrowStreamPrefix(file, { maxBatches: 0 })).toEqual({ batches: 0, rows: 0, bytes: ranges[0]?.offset, complete: false });
    await expect(validArrowStreamPrefix(file, { maxBatches: -1 })).rejects.toThrow(ConfigError);
  });

  it('a non-Arrow file has an empty prefix; an IPC file is ERR_ARROW_FORMAT', async () => {
    const garbage = next('arrows');
    await writeFile(garbage, 'not arrow at all');
    expect(await validArrowStreamPrefix(garbage)).toEqual({ batches: 0, rows: 0, bytes: 0, complete: false });
    const file = next('arrow');
    const sink = await createArrowSink(file, { columns: { a: 'int32' }, format: 'file' });
    await sink.close();
    expect((await stat(file)).size).toBeGreaterThan(0);
    const error = await validArrowStreamPrefix(file).catch((e: unknown) => e);
    expect((error as InputError).code).toBe('ERR_ARROW_FORMAT');
    expect((await readFile(file)).subarray(0, 6).toString()).toBe('ARROW1');
  });
});
