import type { SourcePosition } from '../records/source-position.js';
import { formatPosition } from '../records/source-position.js';
import { TitansError } from './titans-error.js';

/**
 * Bad input data: a record, byte range or batch that cannot be processed.
 * `position` says exactly where it was found.
 *
 * @example
 * ```ts
 * throw new InputError('ERR_INPUT_TRUNCATED', 'truncated record batch', { kind: 'arrow', file, batch: 3, row: 0 });
 * ```
 */
export class InputError extends TitansError {
  /** Where the bad input is, if known. */
  readonly position: SourcePosition | undefined;

  constructor(code: string, problem: string, position?: SourcePosition, options: { cause?: unknown; retriable?: boolean } = {}) {
    super(code, position ? `${problem} at ${formatPosition(position)}` : problem, options);
    this.position = position;
  }
}
