import { PassThrough } from 'node:stream';
import { main } from '../../cli/main.js';

/** What a CLI run printed and returned. */
export interface CliRun {
  readonly code: number;
  readonly out: string;
  readonly err: string;
}

/** Options of {@link runCli}. */
export interface CliRunOptions {
  /** Environment the command sees (default: `{ TITANS_BACKEND: 'wasm' }`). */
  readonly env?: NodeJS.ProcessEnv;
  /** Whether stderr claims to be a terminal (progress lines; default false). */
  readonly tty?: boolean;
  /** Stops the command. */
  readonly signal?: AbortSignal;
  /** Called with all of stdout so far, whenever more arrives. */
  readonly onStdout?: (out: string) => void;
  /** Called with all of stderr so far, whenever more arrives. */
  readonly onStderr?: (err: string) => void;
}

/**
 * Runs the `titans-stream` CLI in this process (`main`), capturing stdout and stderr.
 *
 * @example
 * ```ts
 * const { code, out } = await runCli(['run', '--records', '20', '--json']);
 * ```
 * @param args - The command line after `titans-stream`.
 * @param options - Environment, terminal, signal, output callbacks.
 * @returns The exit code and the text printed.
 */
export async function runCli(args: readonly string[], options: CliRunOptions = {}): Promise<CliRun> {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: options.tty ?? false });
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => {
    out += d.toString();
    options.onStdout?.(out);
  });
  stderr.on('data', (d: Buffer) => {
    err += d.toString();
    options.onStderr?.(err);
  });
  const code = await main([...args], { stdout, stderr, env: options.env ?? { TITANS_BACKEND: 'wasm' }, signal: options.signal ?? new AbortController().signal });
  return { code, out, err };
}
