import type { SourcePosition } from '../records/source-position.js';
import { formatPosition } from '../records/source-position.js';
import { TitansError } from './titans-error.js';

/**
 * A failure inside a Titans layer, with the key whose memory failed and the input it was
 * processing. `cause` holds the original error.
 */
export class LayerError extends TitansError {
  /** State key of the memory that failed. */
  readonly key: string;
  /** First input position of the chunk being processed. */
  readonly position: SourcePosition | undefined;

  constructor(layer: string, key: string, position: SourcePosition | undefined, cause: unknown) {
    const where = position === undefined ? '' : ` at ${formatPosition(position)}`;
    const retriable = cause instanceof TitansError ? cause.retriable : false;
    super('ERR_LAYER', `${layer} failed for key "${key}"${where}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause, retriable });
    this.key = key;
    this.position = position;
  }
}
