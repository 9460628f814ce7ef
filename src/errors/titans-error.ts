/** Options shared by every {@link TitansError}. */
export interface TitansErrorOptions {
  /** The underlying error, if any. */
  cause?: unknown;
  /** Whether retrying the same operation may succeed (a broker outage, a busy file). */
  retriable?: boolean;
}

/**
 * Base class of every error titans-stream throws on purpose.
 *
 * `code` is stable and machine-readable; `message` is for people and says what went wrong
 * and where.
 *
 * @example
 * ```ts
 * try { await run() } catch (e) {
 *   if (e instanceof TitansError && e.retriable) scheduleRetry();
 * }
 * ```
 */
export class TitansError extends Error {
  /** Stable machine-readable error code, e.g. `ERR_CONFIG`. */
  readonly code: string;
  /** Whether retrying the same operation may succeed. */
  readonly retriable: boolean;

  constructor(code: string, message: string, options: TitansErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
