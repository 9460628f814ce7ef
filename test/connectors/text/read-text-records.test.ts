import { promises as fsp, readFileSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { readTextRecords, writeTextLines } from '../../../connectors/text/index.js';
import type { ReadTextOptions } from '../../../connectors/text/index.js';
import { ConfigError, InputError } from '../../../src/errors/index.js';
import type { SourceRecord, TextPosition } from '../../../src/records/index.js';

let dir: string;
let fileCount = 0;

beforeAll(async () => {
  dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'titans-text-'));
});
afterAll(async () => {
  await fsp.rm(dir, { recursive: true, force: true });
});
afterEach(() => {
  vi.restoreAllMocks();
});

async function tempFile(content: string | Uint8Array): Promise<string> {
  const file = path.join(dir, `f${fileCount++}.txt`);
  await fsp.writeFile(file, content);
  return file;
}

async function collect(source: AsyncIterable<SourceRecord>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const record of source) out.push(record);
  return out;
}

async function read(input: string | NodeJS.ReadableStream, options?: ReadTextOptions): Promise<{ values: (string | Uint8Array)[]; positions: TextPosition[] }> {
  const records = await collect(readTextRecords(input, options));
  return { values: records.map((r) => r.value), positions: records.map((r) => r.position as TextPosition) };
}

/** Naive reference: split the whole input at once. */
function expectedRecords(content: string, delimiter: string): { values: string[]; offsets: number[] } {
  if (content === '') return { values: [], offsets: [] };
  const pieces = content.split(delimiter);
  if (pieces.at(-1) === '') pieces.pop();
  const offsets: number[] = [];
  let offset = 0;
  for (const piece of pieces) {
    offsets.push(offset);
    offset += Buffer.byteLength(piece + delimiter);
  }
  const values = delimiter === '\n' ? pieces.map((p) => p.replace(/\r$/, '')) : pieces;
  return { values, offsets };
}

/** Records every FileHandle that readTextRecords opens, with a spy on its `read`. */
function spyOnOpen(): FileHandle[] {
  const handles: FileHandle[] = [];
  const open = fsp.open.bind(fsp);
  vi.spyOn(fsp, 'open').mockImplementation(async (...args: Parameters<typeof fsp.open>) => {
    const handle = await open(...args);
    vi.spyOn(handle, 'read');
    handles.push(handle);
    return handle;
  });
  return handles;
}

function readsOf(handle: FileHandle | undefined): number {
  if (!handle) throw new Error('no file was opened');
  return vi.mocked(handle.read).mock.calls.length;
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A full garbage collection, so that `heapUsed` counts live objects only. */
function collectGarbage(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

describe('readTextRecords on files', () => {
  it('yields every line with its 1-based line number and the byte offset of its first byte', async () => {
    const content = 'first line\n\nthird — with ünïcödé\n日本語\n🚀 launch\n\nlast\n';
    const file = await tempFile(content);
    const bytes = readFileSync(file);
    const { values, positions } = await read(file);
    expect(values).toEqual(['first line', '', 'third — with ünïcödé', '日本語', '🚀 launch', '', 'last']);
    expect(positions.map((p) => p.line)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    for (const [i, p] of positions.entries()) {
      expect(p).toMatchObject({ kind: 'text', file });
      const value = Buffer.from(values[i] as string);
      expect(bytes.subarray(p.byteOffset, p.byteOffset + value.length)).toEqual(value);
      expect(p.byteOffset === 0 || bytes[p.byteOffset - 1] === 0x0a).toBe(true);
    }
  });

  it('drops the \\r of CRLF line ends', async () => {
    const { values, positions } = await read(await tempFile('a\r\nbb\r\n\r\nc\r\n'));
    expect(values).toEqual(['a', 'bb', '', 'c']);
    expect(positions.map((p) => p.byteOffset)).toEqual([0, 3, 7, 9]);
    // only at the end of a record, and only for the "\n" delimiter
    expect((await read(await tempFile('a\rb\n'))).values).toEqual(['a\rb']);
    expect((await read(await tempFile('a\r;b'), { delimiter: ';' })).values).toEqual(['a\r', 'b']);
  });

  it('yields a last line without a delimiter, and nothing for an empty file', async () => {
    expect((await read(await tempFile('x\ny'))).values).toEqual(['x', 'y']);
    expect((await read(await tempFile('x\ny\n'))).values).toEqual(['x', 'y']);
    expect((await read(await tempFile(''))).values).toEqual([]);
    expect((await read(await tempFile('\n'))).values).toEqual(['']);
    expect((await read(await tempFile('\n\n'))).values).toEqual(['', '']);
  });

  it('splits on a custom, multi-byte delimiter, also across read-buffer boundaries', async () => {
    const file = await tempFile('a||b|c||||d||');
    for (const readBufferSize of [1, 2, 3, 64]) {
      const { values, positions } = await read(file, { delimiter: '||', readBufferSize });
      expect(values).toEqual(['a', 'b|c', '', 'd']);
      expect(positions.map((p) => p.byteOffset)).toEqual([0, 3, 8, 10]);
    }
    expect((await read(await tempFile('x€y€€z'), { delimiter: '€', readBufferSize: 2 })).values).toEqual(['x', 'y', '', 'z']);
  });

  it('decodes characters split across read buffers whole', async () => {
    const lines = ['日本語のログ', '🚀🔥✓', 'ascii', 'ß€𝄞'];
    const file = await tempFile(lines.join('\n'));
    for (const readBufferSize of [1, 2, 3, 5, 7]) {
      expect((await read(file, { readBufferSize })).values).toEqual(lines);
    }
  });

  it('property: any content, delimiter and read-buffer size give the naive split', async () => {
    const alphabet = fc.constantFrom('a', 'b', '\n', '\r', '|', 'é', '€', '🙂', ' ');
    await fc.assert(
      fc.asyncProperty(
        fc.array(alphabet, { maxLength: 60 }).map((cs) => cs.join('')),
        fc.constantFrom('\n', '||', '€', '\r\n', '🙂'),
        fc.integer({ min: 1, max: 9 }),
        async (content, delimiter, readBufferSize) => {
          const file = await tempFile(content);
          const { values, positions } = await read(file, { delimiter, readBufferSize });
          const expected = expectedRecords(content, delimiter);
          expect(values).toEqual(expected.values);
          expect(positions.map((p) => p.byteOffset)).toEqual(expected.offsets);
          expect(positions.map((p) => p.line)).toEqual(expected.values.map((_, i) => i + 1));
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives raw bytes with encoding "bytes", and U+FFFD for invalid UTF-8 otherwise', async () => {
    const file = await tempFile(new Uint8Array([0x61, 0xff, 0x0a, 0xe2, 0x82, 0xac, 0x0a]));
    const raw = await read(file, { encoding: 'bytes', readBufferSize: 2 });
    expect(raw.values.map((v) => (v instanceof Uint8Array ? Array.from(v) : v))).toEqual([
      [0x61, 0xff],
      [0xe2, 0x82, 0xac],
    ]);
    expect((await read(file)).values).toEqual(['a\uFFFD', '€']);
  });

  it('resumes with startAt (that record on) and startAfter (the records after it)', async () => {
    const content = 'zero\none\r\n\nthree ✓\nfour\nfive';
    const file = await tempFile(content);
    const all = await collect(readTextRecords(file, { readBufferSize: 4 }));
    for (const [k, record] of all.entries()) {
      const { byteOffset, line } = record.position as TextPosition;
      const from = await collect(readTextRecords(file, { startAt: { byteOffset, line }, readBufferSize: 3 }));
      expect(from).toEqual(all.slice(k));
      const after = await collect(readTextRecords(file, { startAfter: { byteOffset, line } }));
      expect(after).toEqual(all.slice(k + 1));
    }
    expect(await collect(readTextRecords(file, { startAt: { byteOffset: content.length + 10, line: 99 } }))).toEqual([]);
  });

  it('rejects a record over maxRecordBytes with its position, after the records before it', async () => {
    const file = await tempFile(`short\n${'x'.repeat(100)}\nafter\n`);
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for await (const record of readTextRecords(file, { maxRecordBytes: 50, readBufferSize: 8 })) seen.push(record.value);
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(['short']);
    expect(error).toBeInstanceOf(InputError);
    expect(error).toMatchObject({ code: 'ERR_RECORD_TOO_LARGE', position: { kind: 'text', file, line: 2, byteOffset: 6 } });
    expect((error as Error).message).toContain(`${file}:2`);
    // exactly the limit is fine, also when the record ends a CRLF line or the file
    expect((await read(await tempFile(`${'y'.repeat(50)}\r\n${'z'.repeat(50)}`), { maxRecordBytes: 50, readBufferSize: 8 })).values).toEqual([
      'y'.repeat(50),
      'z'.repeat(50),
    ]);
    await expect(collect(readTextRecords(await tempFile('z'.repeat(51)), { maxRecordBytes: 50 }))).rejects.toMatchObject({
      code: 'ERR_RECORD_TOO_LARGE',
    });
  });

  it('stops buffering a huge record once it exceeds the limit', async () => {
    const file = await tempFile('h'.repeat(4 * 1024 * 1024));
    const handles = spyOnOpen();
    const pending = collect(readTextRecords(file, { maxRecordBytes: 1000, readBufferSize: 256 }));
    await expect(pending).rejects.toMatchObject({ code: 'ERR_RECORD_TOO_LARGE', position: { line: 1, byteOffset: 0 } });
    expect(readsOf(handles[0])).toBe(4); // 1024 bytes > 1000 + 1: no further reads
  });

  it('names a missing file; reports a directory as unreadable', async () => {
    const missing = path.join(dir, 'does-not-exist.log');
    await expect(collect(readTextRecords(missing))).rejects.toMatchObject({ name: 'InputError', code: 'ERR_FILE_NOT_FOUND' });
    await expect(collect(readTextRecords(missing))).rejects.toThrow(missing);
    await expect(collect(readTextRecords(dir))).rejects.toMatchObject({ code: 'ERR_READ_FAILED' });
  });

  it('rejects invalid options at the call', () => {
    const bad: [ReadTextOptions, string][] = [
      [{ delimiter: '' }, 'delimiter'],
      [{ maxRecordBytes: 0 }, 'maxRecordBytes'],
      [{ readBufferSize: 1.5 }, 'readBufferSize'],
      [{ startAt: { byteOffset: -1, line: 1 } }, 'startAt.byteOffset'],
      [{ startAfter: { byteOffset: 0, line: 0 } }, 'startAfter.line'],
      [{ startAt: { byteOffset: 0, line: 1 }, startAfter: { byteOffset: 0, line: 1 } }, 'startAt'],
      [{ encoding: 'latin1' as 'utf8' }, 'encoding'],
    ];
    for (const [options, field] of bad) {
      let error: unknown;
      try {
        readTextRecords('whatever.log', options);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).field).toBe(field);
    }
  });

  it('reads only as the consumer pulls, and closes the file on early break', async () => {
    const file = await tempFile('line\n'.repeat(100_000)); // 500 kB
    const handles = spyOnOpen();
    const iterator = readTextRecords(file, { readBufferSize: 1024 })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ value: 'line' });
    const handle = handles[0] as FileHandle;
    expect(readsOf(handle)).toBe(1);
    for (let i = 0; i < 203; i++) await iterator.next(); // the rest of the 204 whole lines of the first 1 KiB
    expect(readsOf(handle)).toBe(1);
    await iterator.next();
    expect(readsOf(handle)).toBe(2);
    expect(handle.fd).toBeGreaterThan(0);
    await iterator.return?.();
    expect(handle.fd).toBe(-1);

    let n = 0;
    for await (const _ of readTextRecords(file)) if (++n === 3) break;
    expect(handles).toHaveLength(2);
    expect(handles[1]?.fd).toBe(-1);
  });

  it('on abort, closes the file at once and rejects the next pull with the reason', async () => {
    const file = await tempFile('a\nb\nc\n');
    const handles = spyOnOpen();
    const controller = new AbortController();
    const iterator = readTextRecords(file, { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ value: 'a' });
    controller.abort();
    await tick();
    expect(handles[0]?.fd).toBe(-1); // closed without another pull
    await expect(iterator.next()).rejects.toMatchObject({ name: 'AbortError' });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });

    const reason = new Error('stopped before start');
    await expect(collect(readTextRecords(file, { signal: AbortSignal.abort(reason) }))).rejects.toBe(reason);
    expect(handles).toHaveLength(1); // never opened
  });

  it('reads a 20 MB file with a flat heap', async () => {
    const file = path.join(dir, 'large.log');
    const lineCount = 210_000;
    const line = (i: number): string => `${String(i).padStart(8, '0')} ${'the quick brown fox jumps over the lazy dog '.repeat(2)}`;
    const written = await writeTextLines(file, (function* () {
      for (let i = 0; i < lineCount; i++) yield line(i);
    })());
    expect(written.bytes).toBeGreaterThan(20_000_000);
    expect((await fsp.stat(file)).size).toBe(written.bytes);

    collectGarbage();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakBuffers = before.arrayBuffers;
    let count = 0;
    let lastOffset = -1;
    for await (const record of readTextRecords(file)) {
      if (record.value !== line(count)) throw new Error(`line ${count + 1} differs: ${String(record.value)}`);
      lastOffset = (record.position as TextPosition).byteOffset;
      count += 1;
      if (count % 20_000 === 0) {
        collectGarbage();
        const usage = process.memoryUsage();
        peakHeap = Math.max(peakHeap, usage.heapUsed);
        peakBuffers = Math.max(peakBuffers, usage.arrayBuffers);
      }
    }
    expect(count).toBe(lineCount);
    expect(lastOffset).toBe(written.bytes - Buffer.byteLength(line(lineCount - 1)) - 1);
    // live memory after GC: a leak of the records read so far would be tens of MB
    expect(peakHeap - before.heapUsed).toBeLessThan(written.bytes / 20);
    expect(peakBuffers - before.arrayBuffers).toBeLessThan(written.bytes / 20);
  });
});

describe('readTextRecords on streams', () => {
  it('reads a stream whose chunks split characters and delimiters anywhere', async () => {
    const content = 'α||βγ||🙂 ok||||end';
    const bytes = Buffer.from(content);
    const stream = new PassThrough();
    for (let i = 0; i < bytes.length; i += 3) stream.write(bytes.subarray(i, i + 3));
    stream.end();
    const { values, positions } = await read(stream, { delimiter: '||' });
    const expected = expectedRecords(content, '||');
    expect(values).toEqual(expected.values);
    expect(positions.map((p) => p.byteOffset)).toEqual(expected.offsets);
    expect(positions[0]?.file).toBe('<stream>');
  });

  it('accepts string chunks and a custom name', async () => {
    const stream = new PassThrough();
    stream.setEncoding('utf8');
    stream.end('x\r\ny\n');
    const { values, positions } = await read(stream, { name: 'pipe' });
    expect(values).toEqual(['x', 'y']);
    expect(positions.map((p) => `${p.file}:${p.line}@${p.byteOffset}`)).toEqual(['pipe:1@0', 'pipe:2@3']);
  });

  it('skips the bytes before startAt (a stream cannot seek)', async () => {
    const all = await read(Readable.from([Buffer.from('l1\nl2\nl3\nl4\n')]));
    const p = all.positions[2] as TextPosition;
    const rest = await read(Readable.from([Buffer.from('l1\nl2\nl3\nl4\n')]), { startAt: { byteOffset: p.byteOffset, line: p.line } });
    expect(rest.values).toEqual(['l3', 'l4']);
    expect(rest.positions).toEqual(all.positions.slice(2));
  });

  it('pulls from a never-ending stream only on demand, and destroys it on break', async () => {
    let produced = 0;
    const stream = Readable.from(
      (function* () {
        for (;;) {
          produced += 1;
          yield Buffer.from(`chunk ${produced}\n`);
        }
      })(),
    );
    const values: unknown[] = [];
    for await (const record of readTextRecords(stream)) {
      values.push(record.value);
      if (values.length === 3) break;
    }
    expect(values).toEqual(['chunk 1', 'chunk 2', 'chunk 3']);
    expect(produced).toBeLessThan(40); // bounded by the stream's high-water mark, not run ahead
    expect(stream.destroyed).toBe(true);
  });

  it('on abort, rejects a pull that waits on an idle stream', async () => {
    const stream = new PassThrough();
    stream.write('one\n');
    const controller = new AbortController();
    const iterator = readTextRecords(stream, { signal: controller.signal })[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toMatchObject({ value: 'one' });
    const waiting = iterator.next(); // nothing more will come
    setTimeout(() => controller.abort(), 10);
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' });
    expect(stream.destroyed).toBe(true);
  });

  it('wraps a stream error with the position it was reading', async () => {
    const stream = new PassThrough();
    stream.write('ok\npartial');
    setTimeout(() => stream.destroy(new Error('disk on fire')), 5);
    const seen: unknown[] = [];
    let error: unknown;
    try {
      for await (const record of readTextRecords(stream)) seen.push(record.value);
    } catch (e) {
      error = e;
    }
    expect(seen).toEqual(['ok']);
    expect(error).toMatchObject({ code: 'ERR_READ_FAILED', position: { line: 2, byteOffset: 3 } });
    expect((error as Error).message).toContain('disk on fire');
  });
});

describe('readTextRecords on stdin ("-")', () => {
  const connector = fileURLToPath(new URL('../../../connectors/text/index.ts', import.meta.url));
  const script = `
    import { readTextRecords } from ${JSON.stringify(pathToFileURL(connector).href)};
    const controller = new AbortController();
    if (process.argv[2] === 'abort') setTimeout(() => controller.abort(), 500);
    const records = [];
    try {
      for await (const r of readTextRecords('-', { signal: controller.signal })) records.push([r.value, r.position]);
      console.log(JSON.stringify({ records }));
    } catch (e) {
      console.log(JSON.stringify({ records, error: e.name }));
    }
  `;

  /** Runs the script in a child process, writes `input` to its stdin (and closes it if `end`). */
  async function child(mode: string, input: string, end: boolean): Promise<{ code: number | null; output: unknown }> {
    const file = path.join(dir, 'stdin-reader.mts');
    await fsp.writeFile(file, script);
    const proc = spawn(process.execPath, ['--import', 'tsx', file, mode], { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stdin.write(input);
    if (end) proc.stdin.end();
    const killer = setTimeout(() => proc.kill(), 15_000); // a child stuck on stdin fails the test, not the suite
    const code = await new Promise<number | null>((resolve) => proc.on('close', resolve));
    clearTimeout(killer);
    return { code, output: stdout === '' ? null : JSON.parse(stdout) };
  }

  it('reads records piped to stdin, and stops an idle stdin on abort', async () => {
    const [piped, aborted] = await Promise.all([child('read', 'one\r\ntwo\n\nlast', true), child('abort', 'a\nb\n', false)]);
    expect(piped).toEqual({
      code: 0,
      output: {
        records: [
          ['one', { kind: 'text', file: '<stdin>', line: 1, byteOffset: 0 }],
          ['two', { kind: 'text', file: '<stdin>', line: 2, byteOffset: 5 }],
          ['', { kind: 'text', file: '<stdin>', line: 3, byteOffset: 9 }],
          ['last', { kind: 'text', file: '<stdin>', line: 4, byteOffset: 10 }],
        ],
      },
    });
    // the child exits by itself although its stdin never ended: the abort released it
    expect(aborted.code).toBe(0);
    expect(aborted.output).toMatchObject({ records: [['a'], ['b']].map(([v]) => [v, expect.anything()]), error: 'AbortError' });
  });
});
