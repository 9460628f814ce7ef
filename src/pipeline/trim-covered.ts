import { comparePositions } from '../records/compare-positions.js';
import type { SnapshotCoverage } from '../snapshot/memory-snapshot.js';
import type { TokenChunk, TokenSpan } from './token-chunk.js';

/** Tokens of `span` already absorbed according to `coverage`. */
function coveredTokens(span: TokenSpan, coverage: SnapshotCoverage): number {
  const order = comparePositions(span.record.position, coverage.position);
  if (order === undefined || order > 0) return 0;
  if (order < 0 || coverage.recordComplete) return span.end - span.start;
  return Math.max(0, Math.min(span.end - span.start, coverage.recordTokens - span.recordOffset));
}

/**
 * Drops from `chunk` the tokens a memory has already absorbed (input replayed after a restore or
 * redelivered by Kafka), so that the memory absorbs every token exactly once.
 *
 * @returns the chunk itself when nothing is covered, a shorter chunk, or `undefined` when all of it is.
 */
export function trimCovered(chunk: TokenChunk, coverage: SnapshotCoverage | undefined): TokenChunk | undefined {
  if (coverage === undefined) return chunk;
  const first = chunk.spans[0];
  if (first === undefined || coveredTokens(first, coverage) === 0) return chunk;
  const spans: TokenSpan[] = [];
  const kept: number[] = [];
  for (const span of chunk.spans) {
    const skip = coveredTokens(span, coverage);
    const length = span.end - span.start - skip;
    if (length <= 0) continue;
    const start = kept.length;
    for (let i = span.start + skip; i < span.end; i++) kept.push(chunk.tokens[i] ?? 0);
    spans.push({ ...span, start, end: start + length, recordOffset: span.recordOffset + skip });
  }
  if (spans.length === 0) return undefined;
  return { key: chunk.key, sequence: chunk.sequence, tokens: Int32Array.from(kept), spans };
}
