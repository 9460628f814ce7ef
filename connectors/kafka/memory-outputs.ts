import type { RecordScore, SurpriseAlert } from '../../src/pipeline/index.js';
import type { KafkaOutputSink } from './kafka-output-sink.js';
import { alertMessage, recordScoreMessage } from './output-messages.js';

/** Where a memory pipeline's outputs go (a Kafka topic, an Arrow file, ...). */
export interface MemoryOutputs {
  /** A record the memory scored (its surprise). */
  score(score: RecordScore): Promise<void>;
  /** A record whose surprise stood out. */
  alert(alert: SurpriseAlert): Promise<void>;
  /** Makes everything written so far durable; the pipeline calls it before every snapshot. */
  flush(): Promise<void>;
}

/** Options of {@link kafkaMemoryOutputs}. */
export interface KafkaMemoryOutputsOptions {
  /** Write a score message for every record (default true). */
  readonly scores?: boolean;
  /** Topic of the alerts (default: the sink's topic, next to the scores). */
  readonly alertTopic?: string;
}

/**
 * Memory outputs as JSON messages through a {@link KafkaOutputSink}: a `score` message per record
 * (see `recordScoreMessage`) and an `alert` message per alert (see `alertMessage`).
 *
 * @example
 * ```ts
 * const outputs = kafkaMemoryOutputs(new KafkaOutputSink({ producer, topic: 'scores' }), { alertTopic: 'alerts' });
 * ```
 * @param sink - the batching sink.
 * @param options - whether to write scores, and where alerts go.
 * @returns the outputs.
 */
export function kafkaMemoryOutputs(sink: KafkaOutputSink, options: KafkaMemoryOutputsOptions = {}): MemoryOutputs {
  const { scores = true, alertTopic } = options;
  return {
    score: async (score) => {
      if (scores) await sink.write(recordScoreMessage(score));
    },
    alert: (alert) => sink.write(alertMessage(alert), ...(alertTopic === undefined ? [] : [alertTopic])),
    flush: async () => {
      await sink.flush();
    },
  };
}
