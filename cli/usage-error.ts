import { TitansError } from '../src/errors/titans-error.js';

/** A bad command line: unknown flag, missing or malformed value. The CLI prints it on one line and exits 2. */
export class UsageError extends TitansError {
  constructor(message: string) {
    super('ERR_USAGE', message);
  }
}
