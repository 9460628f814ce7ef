import type { SnapshotCoverage } from '../snapshot/memory-snapshot.js';
import type { TokenChunk } from './token-chunk.js';

/** The coverage after absorbing `chunk`, given the coverage before it. */
export function advanceCoverage(before: SnapshotCoverage | undefined, chunk: TokenChunk): SnapshotCoverage | undefined {
  const last = chunk.spans[chunk.spans.length - 1];
  if (last === undefined) return before;
  const completed = chunk.spans.filter((s) => s.endsRecord).length;
  return {
    position: last.record.position,
    recordTokens: last.recordOffset + (last.end - last.start),
    recordComplete: last.endsRecord,
    records: (before?.records ?? 0) + completed,
  };
}
