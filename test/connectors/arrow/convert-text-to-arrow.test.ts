import { readFile, writeFile } from 'node:fs/promises';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEXT_ARROW_COLUMNS, convertTextToArrow, readArrowRecords } from '../../../connectors/arrow/index.js';
import { readTextRecords } from '../../../connectors/text/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { collect, summary, tempDir } from './fixtures.js';

let tmp: Awaited<ReturnType<typeof tempDir>>;
let n = 0;
const next = (ext: string) => tmp.file(`c${n++}.${ext}`);

beforeAll(async () => {
  tmp = await tempDir('titans-arrow-convert-');
});
afterAll(async () => {
  await tmp.remove();
});

async function* records(lines: string[], file = 'log.txt'): AsyncGenerator<SourceRecord> {
  let byteOffset = 0;
  for (const [i, line] of lines.entries()) {
    yield { value: line, position: { kind: 'text', file, line: i + 1, byteOffset } };
    byteOffset += Buffer.byteLength(line) + 1;
  }
}

describe('convertTextToArrow', () => {
  const lines = Array.from({ length: 700 }, (_, i) => (i % 50 === 0 ? '' : `line ${i} — ünïcode`));

  for (const format of ['stream', 'file'] as const) {
    it(`${format}: writes text, line and byte_offset columns that read back exactly`, async () => {
      const to = next(format === 'stream' ? 'arrows' : 'arrow');
      const stats = await convertTextToArrow({ from: records(lines), to, format, batchRows: 128 });
      expect(stats).toMatchObject({ rows: 700, batches: Math.ceil(700 / 128) });
      const table = tableFromIPC(await readFile(to));
      expect(table.schema.fields.map((f) => [f.name, String(f.type)])).toEqual([
        ['text', 'Utf8'],
        ['line', 'Int32'],
        ['byte_offset', 'Int64'],
      ]);
      const expected = await collect(records(lines));
      expect(table.toArray().map((r: Record<string, unknown>) => [r['text'], r['line'], r['byte_offset']])).toEqual(
        expected.map((r) => [r.value, r.position.kind === 'text' ? r.position.line : 0, BigInt(r.position.kind === 'text' ? r.position.byteOffset : 0)]),
      );
      const read = summary(await collect(readArrowRecords(to, { column: 'text' })));
      expect(read.map(([, text]) => text)).toEqual(lines);
      expect(read[130]?.[0]).toBe('1:2');
    });
  }

  it('converts a text file by path, keeping the lines and byte offsets of the text reader', async () => {
    const from = next('log');
    await writeFile(from, 'first\nsecond line ✓\n\nlast without newline');
    const to = next('arrow');
    const stats = await convertTextToArrow({ from, to, format: 'file', batchRows: 2 });
    const expected = (await collect(readTextRecords(from))).map((r) => [
      r.value,
      r.position.kind === 'text' ? r.position.line : -1,
      BigInt(r.position.kind === 'text' ? r.position.byteOffset : -1),
    ]);
    expect(expected.length).toBeGreaterThan(2);
    expect(stats.rows).toBe(expected.length);
    const rows = tableFromIPC(await readFile(to)).toArray().map((r: Record<string, unknown>) => [r['text'], r['line'], r['byte_offset']]);
    expect(rows).toEqual(expected);
  });

  it('decodes byte values as UTF-8 and leaves line/byte_offset null for non-text positions', async () => {
    const to = next('arrows');
    async function* source(): AsyncGenerator<SourceRecord> {
      yield { value: new TextEncoder().encode('bytes ✓'), position: { kind: 'stream', stream: 's', index: 0 } };
      yield { value: 'text', position: { kind: 'kafka', topic: 't', partition: 0, offset: '5' } };
    }
    await convertTextToArrow({ from: source(), to });
    const rows = tableFromIPC(await readFile(to)).toArray().map((r: Record<string, unknown>) => [r['text'], r['line'], r['byte_offset']]);
    expect(rows).toEqual([
      ['bytes ✓', null, null],
      ['text', null, null],
    ]);
    expect(Object.keys(TEXT_ARROW_COLUMNS)).toEqual(['text', 'line', 'byte_offset']);
  });

  it('an error from the source propagates and the output is left without an end marker', async () => {
    const to = next('arrows');
    const failure = new Error('read failed');
    async function* failing(): AsyncGenerator<SourceRecord> {
      yield* records(['a', 'b']);
      throw failure;
    }
    await expect(convertTextToArrow({ from: failing(), to })).rejects.toBe(failure);
    const error = await collect(readArrowRecords(to, { column: 'text' })).catch((e: unknown) => e);
    expect((error as Error).message).toContain('end-of-stream marker');
  });
});
