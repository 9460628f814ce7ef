/**
 * Bench: read and tokenize a large Arrow text file, and watch resident memory.
 *
 *   npx tsx bench/arrow-read.ts [--mb 1024] [--keep]
 *
 * Generates (once) an Arrow IPC stream and an IPC file of at least `--mb` MiB each, with one
 * Utf8 column `text` of sample service-log lines, written through `createArrowSink`. The
 * inputs live in `os.tmpdir()/titans-stream-bench/` next to a manifest; a later run reuses them
 * when the manifest matches and the sizes are right. Without `--keep` they are deleted at the end.
 *
 * For each format it reads the `text` column with `readArrowRecords`, tokenizes every record
 * with `ByteTokenizer`, samples `process.memoryUsage.rss()` every 100 ms, and prints one JSON
 * line; then a baseline line: a plain `FileHandle` read of the same file's bytes in the same run
 * (after the Arrow read, so both find the same page cache), and the ratio of the two rates.
 * MB means MiB (2^20 bytes) everywhere.
 */
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createArrowSink, readArrowRecords } from '../connectors/arrow/index.js';
import type { ArrowRow } from '../connectors/arrow/index.js';
import { sampleLogLines } from '../src/sample/index.js';
import { ByteTokenizer } from '../src/tokenize/index.js';
import { ProgressLine } from '../cli/progress.js';

const MB = 1024 * 1024;
const SEED = 1;
const BATCH_ROWS = 4096;
const SAMPLE_MS = 100;
const SERIES_POINTS = 60;
const FORMATS = ['stream', 'file'] as const;
type Format = (typeof FORMATS)[number];

interface Manifest {
  readonly version: 1;
  readonly mb: number;
  readonly seed: number;
  readonly batchRows: number;
  readonly lines: number;
  readonly bytes: Readonly<Record<Format, number>>;
}

const { values } = parseArgs({
  options: { mb: { type: 'string', default: '1024' }, keep: { type: 'boolean', default: false } },
  strict: true,
});
const targetMb = Number(values.mb);
if (!Number.isInteger(targetMb) || targetMb < 1) throw new Error(`--mb must be a positive integer, got "${values.mb}"`);

const dir = join(tmpdir(), 'titans-stream-bench');
const base = join(dir, `arrow-read-${targetMb}mb`);
const paths: Record<Format, string> = { stream: `${base}.arrows`, file: `${base}.arrow` };
const manifestPath = `${base}.json`;

const mb = (bytes: number): number => Math.round((bytes / MB) * 10) / 10;
const emit = (line: object): void => void process.stdout.write(JSON.stringify(line) + '\n');

/** The manifest of inputs already on disk, if it matches this run and the files have its sizes. */
async function cached(): Promise<Manifest | undefined> {
  try {
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Manifest;
    if (manifest.version !== 1 || manifest.mb !== targetMb || manifest.seed !== SEED || manifest.batchRows !== BATCH_ROWS) return undefined;
    for (const format of FORMATS) if ((await stat(paths[format])).size !== manifest.bytes[format]) return undefined;
    return manifest;
  } catch {
    return undefined;
  }
}

/** Writes both inputs in one pass over the sample lines, until the text and its offsets reach the target size. */
async function generate(): Promise<Manifest> {
  await mkdir(dir, { recursive: true });
  await rm(manifestPath, { force: true });
  const options = { columns: { text: 'utf8' }, batchRows: BATCH_ROWS } as const;
  const sinks = [await createArrowSink(paths.stream, { ...options, format: 'stream' }), await createArrowSink(paths.file, { ...options, format: 'file' })];
  try {
    const target = targetMb * MB;
    let payload = 0;
    let lines = 0;
    let rows: ArrowRow[] = [];
    for (const { line } of sampleLogLines({ count: Infinity, seed: SEED })) {
      rows.push({ text: line });
      payload += Buffer.byteLength(line) + 4; // the value bytes and its Int32 offset
      lines += 1;
      if (rows.length === 1024 || payload >= target) {
        await Promise.all(sinks.map((sink) => sink.write(rows)));
        rows = [];
      }
      if (payload >= target) break;
    }
    const [stream, file] = await Promise.all(sinks.map((sink) => sink.close()));
    const manifest: Manifest = { version: 1, mb: targetMb, seed: SEED, batchRows: BATCH_ROWS, lines, bytes: { stream: stream?.bytes ?? 0, file: file?.bytes ?? 0 } };
    await writeFile(manifestPath, JSON.stringify(manifest));
    return manifest;
  } catch (error) {
    await Promise.all(sinks.map((sink) => sink.abort(error)));
    throw error;
  }
}

/** Samples resident memory every {@link SAMPLE_MS} while `work` runs. */
async function withRss<T>(work: () => Promise<T>): Promise<{ result: T; seconds: number; rss: { start: number; peak: number; end: number; series: Series } }> {
  const samples: number[] = [];
  const start = process.memoryUsage.rss();
  const timer = setInterval(() => samples.push(process.memoryUsage.rss()), SAMPLE_MS);
  const began = performance.now();
  try {
    const result = await work();
    const seconds = (performance.now() - began) / 1000;
    const end = process.memoryUsage.rss();
    return { result, seconds, rss: { start, end, peak: Math.max(start, end, ...samples), series: downsample(samples) } };
  } finally {
    clearInterval(timer);
  }
}

/** Resident memory over time: one point (in MB) per `stepMs`. */
interface Series {
  readonly stepMs: number;
  readonly points: number[];
}

/** At most {@link SERIES_POINTS} points, each the maximum of its stretch of samples. */
function downsample(samples: readonly number[]): Series {
  const step = Math.max(1, Math.ceil(samples.length / SERIES_POINTS));
  const points: number[] = [];
  for (let i = 0; i < samples.length; i += step) points.push(mb(Math.max(...samples.slice(i, i + step))));
  return { stepMs: step * SAMPLE_MS, points };
}

async function readTokens(path: string): Promise<{ records: number; tokens: number }> {
  const tokenizer = new ByteTokenizer();
  let records = 0;
  let tokens = 0;
  for await (const record of readArrowRecords(path, { column: 'text' })) {
    records += 1;
    tokens += tokenizer.encode(record.value).length;
  }
  return { records, tokens };
}

async function readBytes(path: string): Promise<number> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(MB);
    let total = 0;
    for (let n = -1; n !== 0; total += n) ({ bytesRead: n } = await handle.read(buffer, 0, buffer.length, total));
    return total;
  } finally {
    await handle.close();
  }
}

try {
  const began = performance.now();
  const found = await cached();
  const manifest = found ?? (await generate());
  emit({ bench: 'arrow-read-setup', cached: found !== undefined, lines: manifest.lines, bytes: manifest.bytes, dir, seconds: (performance.now() - began) / 1000 });

  const progress = new ProgressLine(process.stderr);
  for (const [index, format] of FORMATS.entries()) {
    const fileBytes = manifest.bytes[format];
    progress.update(`bench:arrow ${index + 1}/${FORMATS.length}: reading ${format} (${(fileBytes / MB).toFixed(0)} MB)`, true);
    const read = await withRss(() => readTokens(paths[format]));
    progress.done();
    if (read.result.records !== manifest.lines) throw new Error(`${paths[format]}: read ${read.result.records} records, wrote ${manifest.lines}`);
    const mbPerSec = fileBytes / MB / read.seconds;
    emit({
      bench: 'arrow-read',
      format,
      fileBytes,
      records: read.result.records,
      tokens: read.result.tokens,
      seconds: read.seconds,
      mbPerSec,
      tokensPerSec: read.result.tokens / read.seconds,
      rssStartMb: mb(read.rss.start),
      rssPeakMb: mb(read.rss.peak),
      rssEndMb: mb(read.rss.end),
      rssSeriesStepMs: read.rss.series.stepMs,
      rssSeries: read.rss.series.points,
    });
    progress.update(`bench:arrow ${index + 1}/${FORMATS.length}: plain read of ${format}`, true);
    const plain = await withRss(() => readBytes(paths[format]));
    progress.done();
    if (plain.result !== fileBytes) throw new Error(`${paths[format]}: read ${plain.result} bytes, expected ${fileBytes}`);
    const baselineMbPerSec = fileBytes / MB / plain.seconds;
    emit({ bench: 'arrow-read-baseline', format, fileBytes, seconds: plain.seconds, mbPerSec: baselineMbPerSec, ratio: mbPerSec / baselineMbPerSec });
  }
} finally {
  if (!values.keep) await Promise.all([...FORMATS.map((f) => rm(paths[f], { force: true })), rm(manifestPath, { force: true })]);
}
