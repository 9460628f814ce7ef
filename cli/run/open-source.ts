import { readArrowRecords } from '../../connectors/arrow/index.js';
import { readTextRecords } from '../../connectors/text/index.js';
import type { SourceRecord } from '../../src/records/source-record.js';
import { sampleLogRecords } from '../../src/sample/index.js';
import type { SnapshotCoverage } from '../../src/snapshot/memory-snapshot.js';
import { intOption } from '../options.js';
import type { EndpointSpec } from '../source-spec.js';
import { UsageError } from '../usage-error.js';

/** The kinds `run --source` accepts. */
export const SOURCE_KINDS = ['sample', 'text', 'arrow'] as const;

/** Records of the sample source when `--records` is not given and the untrained memory scores them. */
export const DEFAULT_SAMPLE_RECORDS = 5000;

/**
 * Records of the sample source by default when a trained model scores them: a model reads about
 * 1–2k bytes/s on WASM, so 1,000 records (about 115 KB) take a minute or so.
 */
export const DEFAULT_MODEL_SAMPLE_RECORDS = 1000;

/** Flags that shape a source. */
export interface SourceFlags {
  readonly records?: string | undefined;
  readonly seed?: string | undefined;
  readonly column?: string | undefined;
}

/** The name of the stream a source yields: its state key (see `streamKeyOf`). */
export function sourceKey(source: EndpointSpec): string {
  return source.kind === 'sample' ? 'sample-logs' : source.target === '-' ? 'stdin' : source.target;
}

/**
 * Opens the records of `source`, starting at the record `covers` ends in when resuming (the
 * layer then skips the part of that record already absorbed).
 */
export function openSource(source: EndpointSpec, flags: SourceFlags, covers: SnapshotCoverage | undefined, signal: AbortSignal): AsyncIterable<SourceRecord> {
  const at = covers?.position;
  switch (source.kind) {
    case 'sample': {
      if (source.target !== '' && source.target !== 'logs') throw new UsageError(`--source sample:${source.target}: the only sample is "logs"`);
      return sampleLogRecords({ count: intOption('records', flags.records, DEFAULT_SAMPLE_RECORDS), seed: intOption('seed', flags.seed, 0, 0), signal });
    }
    case 'text': {
      if (source.target === '') throw new UsageError('--source text: needs a file, e.g. text:app.log (or - for stdin)');
      const startAt = at?.kind === 'text' && source.target !== '-' ? { startAt: { byteOffset: at.byteOffset, line: at.line } } : {};
      return readTextRecords(source.target, { signal, ...startAt });
    }
    case 'arrow': {
      if (source.target === '') throw new UsageError('--source arrow: needs a file, e.g. arrow:events.arrows');
      const startAt = at?.kind === 'arrow' ? { startAt: { batch: at.batch, row: at.row } } : {};
      return readArrowRecords(source.target, { column: flags.column ?? 'text', signal, ...startAt });
    }
    default:
      throw new UsageError(`--source ${source.kind}: not supported by run`);
  }
}
