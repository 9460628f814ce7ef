import { TitansError } from './titans-error.js';

/** Why a snapshot was refused. */
export type SnapshotErrorCode = 'ERR_SNAPSHOT_CORRUPT' | 'ERR_SNAPSHOT_VERSION' | 'ERR_SNAPSHOT_CONFIG';

/**
 * A snapshot that cannot be restored: damaged bytes or checksum mismatch (`ERR_SNAPSHOT_CORRUPT`),
 * an unknown format version (`ERR_SNAPSHOT_VERSION`), or a configuration that does not fit the
 * memory it is restored into (`ERR_SNAPSHOT_CONFIG`, with the differing fields in `mismatches`).
 */
export class SnapshotError extends TitansError {
  /** For `ERR_SNAPSHOT_CONFIG`: `field: snapshot value ≠ expected value` lines. */
  readonly mismatches: readonly string[];

  constructor(code: SnapshotErrorCode, message: string, options: { cause?: unknown; mismatches?: readonly string[] } = {}) {
    super(code, message, options.cause === undefined ? {} : { cause: options.cause });
    this.mismatches = options.mismatches ?? [];
  }
}
