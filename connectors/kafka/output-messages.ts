import type { RecordScore, SurpriseAlert } from '../../src/pipeline/index.js';
import type { KafkaMessage } from './client.js';

/** Header naming the kind of an output message: `score` or `alert`. */
export const OUTPUT_TYPE_HEADER = 'titans.type';

/** Characters of a record's text an alert carries at most. */
const ALERT_TEXT_LIMIT = 2000;

const decoder = new TextDecoder();

function textOf(value: Uint8Array | string): string {
  const text = typeof value === 'string' ? value : decoder.decode(value);
  return text.length > ALERT_TEXT_LIMIT ? `${text.slice(0, ALERT_TEXT_LIMIT)}…` : text;
}

/** The JSON of a {@link recordScoreMessage}. */
export interface RecordScoreOutput {
  readonly type: 'score';
  /** State key (for Kafka input: `${topic}-${partition}`). */
  readonly key: string;
  /** Where the record came from. */
  readonly position: RecordScore['record']['position'];
  readonly tokens: number;
  readonly meanLoss: number;
  readonly maxLoss: number;
  readonly meanSurprise: number;
  readonly maxSurprise: number;
}

/** The JSON of an {@link alertMessage}. */
export interface AlertOutput {
  readonly type: 'alert';
  readonly key: string;
  readonly position: SurpriseAlert['position'];
  /** The record's score and the bound it exceeded. */
  readonly score: number;
  readonly bound: number;
  readonly reason: SurpriseAlert['reason'];
  /** The record's text (cut at 2000 characters). */
  readonly text: string;
  readonly meanLoss: number;
  readonly maxSurprise: number;
}

/**
 * The output message of one scored record: JSON (see {@link RecordScoreOutput}), keyed by the
 * state key so that the outputs of one input partition stay in order.
 *
 * @example
 * ```ts
 * await sink.write(recordScoreMessage(score));
 * ```
 * @param score - a record score from the memory layer.
 * @returns the message.
 */
export function recordScoreMessage(score: RecordScore): KafkaMessage {
  const output: RecordScoreOutput = {
    type: 'score',
    key: score.key,
    position: score.record.position,
    tokens: score.tokens,
    meanLoss: score.meanLoss,
    maxLoss: score.maxLoss,
    meanSurprise: score.meanSurprise,
    maxSurprise: score.maxSurprise,
  };
  return { key: score.key, value: JSON.stringify(output), headers: { [OUTPUT_TYPE_HEADER]: 'score' } };
}

/**
 * The output message of a surprise alert: JSON (see {@link AlertOutput}) with the record's text.
 *
 * @param alert - an alert from `surpriseAlerts`.
 * @returns the message, keyed by the state key.
 */
export function alertMessage(alert: SurpriseAlert): KafkaMessage {
  const output: AlertOutput = {
    type: 'alert',
    key: alert.key,
    position: alert.position,
    score: alert.score,
    bound: alert.bound,
    reason: alert.reason,
    text: textOf(alert.record.value),
    meanLoss: alert.stats.meanLoss,
    maxSurprise: alert.stats.maxSurprise,
  };
  return { key: alert.key, value: JSON.stringify(output), headers: { [OUTPUT_TYPE_HEADER]: 'alert' } };
}
