import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { InputError } from '../../src/errors/index.js';
import { formatPosition } from '../../src/records/index.js';
import { inspectSnapshot } from '../../src/snapshot/index.js';
import type { Command, CommandContext } from '../command.js';
import { UsageError } from '../usage-error.js';

const USAGE = `Usage: titans-stream snapshot inspect <file> [--json]

Prints a memory snapshot's configuration, counters, the input positions it covers, and each
tensor's shape and SHA-256 checksum.`;

/** `titans-stream snapshot inspect`: what a snapshot file holds. */
export const snapshotCommand: Command = {
  name: 'snapshot',
  summary: 'inspect memory snapshots',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const { values, positionals } = parseArgs({ args: context.args, strict: true, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
    const [action, file, ...extra] = positionals;
    if (action !== 'inspect') throw new UsageError(action === undefined ? 'snapshot: missing action (inspect)' : `snapshot: unknown action "${action}" (expected inspect)`);
    if (file === undefined) throw new UsageError('snapshot inspect: missing <file>');
    if (extra.length > 0) throw new UsageError(`snapshot inspect: unexpected argument "${extra[0]}"`);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(file);
    } catch (cause) {
      throw new InputError('ERR_FILE_NOT_FOUND', `cannot read snapshot ${file} (${(cause as NodeJS.ErrnoException).code ?? String(cause)})`, undefined, { cause });
    }
    const summary = inspectSnapshot(bytes);
    if (values.json) {
      context.stdout.write(JSON.stringify({ file, ...summary }, null, 2) + '\n');
      return 0;
    }
    const lines = [
      `file         ${file}`,
      `key          ${summary.key}`,
      `created      ${summary.createdAt}`,
      `format       ${summary.format} v${summary.version}, ${summary.kind}, fingerprint ${summary.fingerprint}`,
      `absorbed     ${summary.tokensSeen} tokens, ${summary.chunksApplied} chunk updates`,
      `covers       ${summary.covers === null ? '(nothing)' : `${summary.covers.records} records, up to ${formatPosition(summary.covers.position)}${summary.covers.recordComplete ? '' : ` (first ${summary.covers.recordTokens} tokens)`}`}`,
      `checksum     ${summary.checksum}`,
      `config       ${JSON.stringify(summary.config)}`,
      'tensors:',
      ...summary.tensors.map((t) => `  ${t.name.padEnd(18)} ${t.dtype.padEnd(8)} [${t.shape.join(', ')}]  ${t.checksum.slice(0, 16)}`),
    ];
    context.stdout.write(lines.join('\n') + '\n');
    return 0;
  },
};
