import { TitansError } from './titans-error.js';

/**
 * An invalid configuration value. `field` names the offending option (dotted path).
 *
 * @example
 * ```ts
 * throw new ConfigError('chunkSize', 'must be a positive integer, got 0');
 * ```
 */
export class ConfigError extends TitansError {
  /** Dotted path of the invalid option, e.g. `memory.chunkSize`. */
  readonly field: string;

  constructor(field: string, problem: string, options: { cause?: unknown } = {}) {
    super('ERR_CONFIG', `invalid config ${field}: ${problem}`, options);
    this.field = field;
  }
}
