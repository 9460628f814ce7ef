import type { ArrowSink } from '../../connectors/arrow/index.js';
import type { MemoryOutputs } from '../../connectors/kafka/index.js';
import { recordOutputRow } from './record-output.js';

/**
 * Memory outputs into an Arrow file: one row per scored record (see `RECORD_OUTPUT_COLUMNS`);
 * alerts are not written (the rows carry every score). `flush` ends the current batch and waits
 * for the disk.
 */
export function arrowMemoryOutputs(sink: ArrowSink): MemoryOutputs {
  return {
    score: (score) => sink.write(recordOutputRow(score)),
    alert: async () => undefined,
    flush: async () => {
      await sink.flush();
    },
  };
}
