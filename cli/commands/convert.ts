import { rm, stat } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { convertTextToArrow } from '../../connectors/arrow/index.js';
import { readTextRecords } from '../../connectors/text/index.js';
import { InputError } from '../../src/errors/index.js';
import type { SourceRecord } from '../../src/records/index.js';
import type { Command, CommandContext } from '../command.js';
import { choiceOption, intOption } from '../options.js';
import { formatDuration, formatEta, formatRate, ProgressLine } from '../progress.js';
import { parseEndpoint } from '../source-spec.js';
import { UsageError } from '../usage-error.js';

const USAGE = `Usage: titans-stream convert --from text:<file> --to arrow:<file> [options]

Converts a text or log file (one record per line) into an Arrow IPC stream or file with the
columns text (Utf8), line (Int32, 1-based) and byte_offset (Int64): a ready input for
\`titans-stream run --source arrow:<file> --column text\`. A failed or interrupted conversion
removes its output.

Options:
  --from <spec>        input: text:<file>, or - (or text:-) for stdin
  --to <spec>          output: arrow:<file>
  --format <f>         stream | file (default: file for .arrow, stream otherwise)
  --batch-rows <n>     rows per record batch (default 4096)
  --delimiter <s>      record delimiter (default "\\n"; escapes \\n \\r \\t \\0 \\\\ are understood)
  --json               print the summary as one JSON object on stdout
  --progress           force the progress line on (default: only on a terminal)
  -h, --help           this help`;

const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '0': '\0', '\\': '\\' };

/** Reads `\n`, `\t`, … in a `--delimiter` value as the characters they name. */
function delimiterOption(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const delimiter = value.replace(/\\(.?)/gs, (escape, c: string) => {
    const char = ESCAPES[c];
    if (char === undefined) throw new UsageError(`--delimiter: unknown escape "${escape}" (use \\n, \\r, \\t, \\0 or \\\\)`);
    return char;
  });
  if (delimiter === '') throw new UsageError('--delimiter must not be empty');
  return delimiter;
}

/** The IPC format a `--to` file gets: `--format` if given, else from its extension. */
function formatOf(target: string, value: string | undefined): 'stream' | 'file' {
  if (value !== undefined) return choiceOption('format', value, ['stream', 'file'], 'stream');
  return extname(target).toLowerCase() === '.arrow' ? 'file' : 'stream';
}

/** Fails with the path named if the input file is missing or not a regular file. */
async function checkInput(path: string): Promise<void> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new InputError('ERR_FILE_NOT_FOUND', `no such file: ${path}`, undefined, { cause: e });
    throw new InputError('ERR_READ_FAILED', `cannot read ${path}: ${(e as Error).message}`, undefined, { cause: e });
  }
  if (!info.isFile()) throw new InputError('ERR_READ_FAILED', `not a regular file: ${path}`);
}

/** Passes records through, redrawing the progress line every 1024 records (with an ETA when the input's size is known). */
async function* withProgress(records: AsyncIterable<SourceRecord>, progress: ProgressLine, started: number, totalBytes: number | undefined): AsyncGenerator<SourceRecord> {
  let count = 0;
  for await (const record of records) {
    count += 1;
    if ((count & 1023) === 0) {
      const seconds = (performance.now() - started) / 1000;
      const bytes = record.position.kind === 'text' ? record.position.byteOffset : 0;
      const eta = totalBytes === undefined || totalBytes === 0 ? '' : formatEta(bytes / totalBytes, seconds);
      progress.update(`${count} records, ${(bytes / 1e6 / seconds).toFixed(1)} MB/s, ${formatDuration(seconds)}${eta}`);
    }
    yield record;
  }
}

/** `titans-stream convert`: text or logs → Arrow IPC, for `run --source arrow:…`. */
export const convertCommand: Command = {
  name: 'convert',
  summary: 'convert a text or log file into an Arrow IPC stream or file',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args: context.args,
      strict: true,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        format: { type: 'string' },
        'batch-rows': { type: 'string' },
        delimiter: { type: 'string' },
        json: { type: 'boolean', default: false },
        progress: { type: 'boolean' },
      },
    });
    if (values.from === undefined) throw new UsageError('convert needs --from text:<file> (or --from - for stdin)');
    if (values.to === undefined) throw new UsageError('convert needs --to arrow:<file>');
    const from = parseEndpoint('from', values.from, ['text']);
    if (from.target === '') throw new UsageError('--from text: needs a file, e.g. text:app.log (or - for stdin)');
    const to = parseEndpoint('to', values.to, ['arrow']);
    if (to.kind !== 'arrow' || to.target === '' || to.target === '-') {
      throw new UsageError(`--to "${values.to}": expected arrow:<file> (Arrow output needs a file, not stdout)`);
    }
    if (from.target !== '-' && resolve(from.target) === resolve(to.target)) {
      throw new UsageError(`--from and --to name the same file (${to.target})`);
    }
    const format = formatOf(to.target, values.format);
    const batchRows = intOption('batch-rows', values['batch-rows'], 4096, 1, 16_777_216);
    const delimiter = delimiterOption(values.delimiter);
    if (from.target !== '-') await checkInput(from.target);

    const { signal } = context;
    const progress = new ProgressLine(context.stderr, values.progress);
    const started = performance.now();
    const records = readTextRecords(from.target, { signal, ...(delimiter === undefined ? {} : { delimiter }) });
    let stats;
    try {
      const totalBytes = from.target === '-' ? undefined : (await stat(from.target)).size;
      stats = await convertTextToArrow({ from: withProgress(records, progress, started, totalBytes), to: to.target, format, batchRows, signal });
    } catch (error) {
      await rm(to.target, { force: true });
      throw error;
    } finally {
      progress.done();
    }
    const seconds = (performance.now() - started) / 1000;
    const summary = { from: values.from, to: to.target, format, records: stats.rows, batches: stats.batches, bytes: stats.bytes, seconds };
    if (values.json) {
      context.stdout.write(JSON.stringify(summary) + '\n');
    } else {
      context.stdout.write(
        `converted ${summary.records} records into ${summary.batches} batches, ${summary.bytes} bytes (${to.target}, ${format}) ` +
          `in ${formatDuration(seconds)} (${formatRate(summary.records / seconds)} records)\n`,
      );
    }
    return 0;
  },
};
