import { ConfigError } from '../errors/config-error.js';
import type { SourcePosition } from '../records/source-position.js';
import type { SourceRecord } from '../records/source-record.js';
import { interruptible } from '../stream/interruptible.js';
import { SourceReader } from '../stream/source-reader.js';
import type { AsyncOperator, OperatorOptions } from '../stream/types.js';
import type { MemoryEvent, RecordScore } from './memory-events.js';

/** Which record statistic is the anomaly score. */
export type ScoreField = 'meanLoss' | 'maxLoss' | 'meanSurprise' | 'maxSurprise';

/** Options of {@link surpriseAlerts}: a fixed `threshold`, a running `quantile`, or both (either fires). */
export interface SurpriseAlertsOptions extends OperatorOptions {
  /** Alert when the score exceeds this. */
  readonly threshold?: number;
  /** Alert when the score exceeds this quantile (0–1) of the key's recent scores. */
  readonly quantile?: number;
  /** How many recent scores per key the quantile is taken over. Default 1000. */
  readonly window?: number;
  /** Scores a key must have seen before quantile alerts start. Default min(100, window). */
  readonly warmup?: number;
  /** The record statistic used as the score. Default `meanLoss`. */
  readonly score?: ScoreField;
}

/** A record whose surprise stood out. */
export interface SurpriseAlert {
  readonly type: 'alert';
  readonly key: string;
  readonly record: SourceRecord;
  readonly position: SourcePosition;
  /** The record's score. */
  readonly score: number;
  /** The bound it exceeded (the fixed threshold, or the quantile's value at that moment). */
  readonly bound: number;
  readonly reason: 'threshold' | 'quantile';
  /** All statistics of the record. */
  readonly stats: RecordScore;
}

/** The recent scores of one key, kept sorted for quantiles. */
class ScoreWindow {
  readonly #order: number[] = [];
  readonly #sorted: number[] = [];

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.#sorted.length;
  }

  quantile(q: number): number {
    const i = Math.min(this.#sorted.length - 1, Math.max(0, Math.ceil(q * this.#sorted.length) - 1));
    return this.#sorted[i] ?? NaN;
  }

  add(score: number): void {
    this.#order.push(score);
    this.#sorted.splice(this.#lowerBound(score), 0, score);
    if (this.#order.length > this.capacity) {
      const old = this.#order.shift() as number;
      this.#sorted.splice(this.#lowerBound(old), 1);
    }
  }

  #lowerBound(x: number): number {
    let lo = 0;
    let hi = this.#sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#sorted[mid] as number) < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/**
 * Picks the records whose surprise stands out, from a {@link neuralMemory} event stream: above a
 * fixed `threshold`, or above a running `quantile` of the key's last `window` record scores
 * (compared with the scores before it, after a warm-up). Other events are dropped.
 *
 * @example
 * ```ts
 * const alerts = pipe(chunks, neuralMemory(), surpriseAlerts({ quantile: 0.99, window: 2000 }));
 * for await (const a of alerts) console.log(a.score.toFixed(3), formatPosition(a.position));
 * ```
 * @param options - threshold and/or quantile, window, warm-up, score field, signal.
 * @returns an operator from memory events to alerts, in order.
 * @throws {ConfigError} at once for a missing or bad threshold/quantile/window.
 */
export function surpriseAlerts(options: SurpriseAlertsOptions): AsyncOperator<MemoryEvent, SurpriseAlert> {
  const { threshold, quantile, window = 1000, score: field = 'meanLoss' } = options;
  if (threshold === undefined && quantile === undefined) throw new ConfigError('surpriseAlerts', 'give a threshold, a quantile or both');
  if (threshold !== undefined && !Number.isFinite(threshold)) throw new ConfigError('surpriseAlerts.threshold', `must be a finite number, got ${threshold}`);
  if (quantile !== undefined && !(quantile > 0 && quantile < 1)) throw new ConfigError('surpriseAlerts.quantile', `must be in (0, 1), got ${quantile}`);
  if (!(Number.isSafeInteger(window) && window > 0)) throw new ConfigError('surpriseAlerts.window', `must be a positive integer, got ${window}`);
  const warmup = options.warmup ?? Math.min(100, window);
  if (!(Number.isSafeInteger(warmup) && warmup >= 0 && warmup <= window)) throw new ConfigError('surpriseAlerts.warmup', `must be an integer in [0, window], got ${warmup}`);
  return (source) =>
    interruptible(async function* (ctx) {
      const reader = new SourceReader(source, ctx);
      const windows = new Map<string, ScoreWindow>();
      try {
        for (;;) {
          const next = await reader.next();
          if (next.done === true) return;
          if (next.value.type !== 'chunk') continue;
          for (const stats of next.value.records) {
            const value = stats[field];
            let recent = windows.get(stats.key);
            if (recent === undefined) windows.set(stats.key, (recent = new ScoreWindow(window)));
            const base = { type: 'alert', key: stats.key, record: stats.record, position: stats.record.position, score: value, stats } as const;
            if (threshold !== undefined && value > threshold) {
              yield { ...base, bound: threshold, reason: 'threshold' };
            } else if (quantile !== undefined && recent.size >= Math.max(1, warmup)) {
              const bound = recent.quantile(quantile);
              if (value > bound) yield { ...base, bound, reason: 'quantile' };
            }
            recent.add(value);
          }
        }
      } finally {
        await reader.close();
      }
    }, options);
}
