/** What a command's `run` gets: its own arguments and the process streams. */
export interface CommandContext {
  readonly args: string[];
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly env: NodeJS.ProcessEnv;
  readonly signal: AbortSignal;
}

/** A CLI sub-command. `run` resolves to the process exit code. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  readonly usage: string;
  run(context: CommandContext): Promise<number>;
}
