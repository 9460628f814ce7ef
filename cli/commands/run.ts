import { parseArgs } from 'node:util';
import { readTextRecords } from '../../connectors/text/index.js';
import { chunkTokens, tokenize } from '../../src/pipeline/index.js';
import type { SourceRecord } from '../../src/records/index.js';
import { sampleLogRecords } from '../../src/sample/index.js';
import { pipe } from '../../src/stream/index.js';
import { BACKEND_NAMES, initBackend, type BackendChoice } from '../../src/tensor/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer } from '../../src/tokenize/index.js';
import type { Command, CommandContext } from '../command.js';
import { choiceOption, intOption } from '../options.js';
import { formatDuration, formatRate, ProgressLine } from '../progress.js';
import { parseEndpoint } from '../source-spec.js';
import { UsageError } from '../usage-error.js';

const USAGE = `Usage: titans-stream run [options]

Streams records through the tokenizer, the chunker and the Titans memory, and prints a summary.

Options:
  --source <spec>      input: sample (built-in service logs, default), text:<file>, - (stdin)
  --records <n>        records of the sample source (default 20000)
  --seed <n>           seed of the sample source (default 0)
  --chunk-size <n>     tokens per chunk (default 64)
  --backend <name>     auto | ${BACKEND_NAMES.join(' | ')} (default: TITANS_BACKEND or auto)
  --json               print the summary as one JSON object on stdout
  --progress           force the progress line on (default: only on a terminal)
  -h, --help           this help`;

function recordsOf(spec: string, values: { records?: string | undefined; seed?: string | undefined }, signal: AbortSignal): AsyncIterable<SourceRecord> {
  const source = parseEndpoint('source', spec, ['sample', 'text']);
  if (source.kind === 'sample') {
    if (source.target !== '' && source.target !== 'logs') throw new UsageError(`--source sample:${source.target}: the only sample is "logs"`);
    return sampleLogRecords({ count: intOption('records', values.records, 20_000), seed: intOption('seed', values.seed, 0, 0), signal });
  }
  if (source.target === '') throw new UsageError('--source text: needs a file, e.g. text:app.log (or - for stdin)');
  return readTextRecords(source.target, { signal });
}

/** `titans-stream run`: the main job. */
export const runCommand: Command = {
  name: 'run',
  summary: 'stream records through the Titans memory and report surprise',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args: context.args,
      strict: true,
      options: {
        source: { type: 'string', default: 'sample' },
        records: { type: 'string' },
        seed: { type: 'string' },
        'chunk-size': { type: 'string' },
        backend: { type: 'string' },
        json: { type: 'boolean', default: false },
        progress: { type: 'boolean' },
      },
    });
    const chunkSize = intOption('chunk-size', values['chunk-size'], 64, 1, 65_536);
    const backendChoice = values.backend === undefined ? undefined : choiceOption<BackendChoice>('backend', values.backend, ['auto', ...BACKEND_NAMES], 'auto');
    const records = recordsOf(values.source, values, context.signal);
    const backend = await initBackend(backendChoice === undefined ? { env: context.env } : { backend: backendChoice, env: context.env });

    const progress = new ProgressLine(context.stderr, values.progress);
    const started = performance.now();
    let tokens = 0;
    let chunks = 0;
    const keys = new Set<string>();
    const chunked = pipe(records, tokenize(new ByteTokenizer(), { separator: BYTE_RECORD_SEPARATOR }), chunkTokens(chunkSize, { signal: context.signal }));
    for await (const chunk of chunked) {
      tokens += chunk.tokens.length;
      chunks += 1;
      keys.add(chunk.key);
      const seconds = (performance.now() - started) / 1000;
      progress.update(`${tokens} tokens, ${chunks} chunks, ${formatRate(tokens / seconds)} tokens, ${formatDuration(seconds)}`);
    }
    progress.done();
    const seconds = (performance.now() - started) / 1000;
    const summary = { source: values.source, backend: backend.name, tokens, chunks, keys: keys.size, seconds, tokensPerSec: tokens / seconds };
    if (values.json) {
      context.stdout.write(JSON.stringify(summary) + '\n');
    } else {
      context.stdout.write(
        [
          `source    ${summary.source}`,
          `backend   ${summary.backend}`,
          `tokens    ${tokens} in ${chunks} chunks of ≤${chunkSize} (${keys.size} key${keys.size === 1 ? '' : 's'})`,
          `time      ${formatDuration(seconds)} (${formatRate(summary.tokensPerSec)} tokens)`,
        ].join('\n') + '\n',
      );
    }
    return 0;
  },
};
