import { parseArgs } from 'node:util';
import { TitansError } from '../src/errors/titans-error.js';
import type { Command, CommandContext } from './command.js';
import { commands } from './commands/index.js';
import { UsageError } from './usage-error.js';
import { packageVersion } from './version.js';

function globalHelp(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    'titans-stream — Titans neural long-term memory over streams (Kafka, Arrow, text).',
    '',
    'Usage: titans-stream <command> [options]',
    '       titans-stream --help | --version',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Run `titans-stream <command> --help` for the options of a command.',
    'Environment: TITANS_BACKEND=auto|tensorflow|wasm|cpu selects the TensorFlow.js backend.',
  ].join('\n');
}

/** Turns parseArgs' and our own usage errors into one line. */
function usageMessage(error: unknown): string | undefined {
  if (error instanceof UsageError) return error.message;
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && code.startsWith('ERR_PARSE_ARGS')) return (error as Error).message.split('\n')[0];
  return undefined;
}

/**
 * Runs the CLI with the given arguments and returns the exit code: 0 success, 1 runtime failure,
 * 2 bad usage, 130 interrupted.
 */
export async function main(argv: string[], context: Omit<CommandContext, 'args'>): Promise<number> {
  const [first, ...rest] = argv;
  try {
    if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
      context.stdout.write(globalHelp() + '\n');
      return first === undefined ? 2 : 0;
    }
    if (first === '--version' || first === '-v') {
      context.stdout.write(packageVersion() + '\n');
      return 0;
    }
    if (first.startsWith('-')) {
      // Validate global flags strictly so that an unknown one is reported as such.
      parseArgs({ args: [first], options: { help: { type: 'boolean', short: 'h' }, version: { type: 'boolean', short: 'v' } }, strict: true });
    }
    const command: Command | undefined = commands.find((c) => c.name === first);
    if (!command) throw new UsageError(`unknown command "${first}" (commands: ${commands.map((c) => c.name).join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      context.stdout.write(command.usage + '\n');
      return 0;
    }
    return await command.run({ ...context, args: rest });
  } catch (error) {
    const usage = usageMessage(error);
    if (usage !== undefined) {
      context.stderr.write(`titans-stream: ${usage} (see titans-stream --help)\n`);
      return 2;
    }
    if (context.signal.aborted) return 130;
    const message = error instanceof TitansError ? `${error.message} [${error.code}]` : error instanceof Error ? error.message : String(error);
    context.stderr.write(`titans-stream: ${message}\n`);
    if (context.env['TITANS_DEBUG'] && error instanceof Error && error.stack) context.stderr.write(error.stack + '\n');
    return 1;
  }
}
