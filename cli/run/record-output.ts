import type { ArrowColumnType, ArrowRow } from '../../connectors/arrow/index.js';
import type { RecordScore } from '../../src/pipeline/memory-events.js';

/** Columns of the per-record output that `run --sink arrow:<file>` writes. */
export const RECORD_OUTPUT_COLUMNS: Record<string, ArrowColumnType> = {
  key: 'utf8',
  position: 'utf8',
  tokens: 'int32',
  mean_loss: 'float32',
  max_loss: 'float32',
  mean_surprise: 'float32',
  max_surprise: 'float32',
};

/** One output row per scored record; `position` is the record's source position as JSON. */
export function recordOutputRow(score: RecordScore): ArrowRow {
  return {
    key: score.key,
    position: JSON.stringify(score.record.position),
    tokens: score.tokens,
    mean_loss: score.meanLoss,
    max_loss: score.maxLoss,
    mean_surprise: score.meanSurprise,
    max_surprise: score.maxSurprise,
  };
}
