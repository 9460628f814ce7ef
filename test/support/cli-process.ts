import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');

/** A CLI process started by {@link startCli}. */
export interface CliProcess {
  readonly child: ChildProcess;
  /** Output so far. */
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Settles when the process exits. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>;
}

/**
 * Starts `titans-stream <command> <args>` in a child process on the WASM backend: from the
 * TypeScript sources (tsx), or with `compiled` the build as installed (`node dist/cli/bin.js`;
 * `npm test` builds first).
 */
export function startCli(command: string, args: readonly string[], options: { readonly compiled?: boolean } = {}): CliProcess {
  const entry = options.compiled === true ? ['dist/cli/bin.js'] : ['--import', 'tsx', 'cli/bin.ts'];
  const child = spawn(process.execPath, [...entry, command, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TITANS_BACKEND: 'wasm' } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
