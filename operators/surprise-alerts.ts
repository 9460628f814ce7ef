import type { OperatorFunction } from 'rxjs';
import type { MemoryEvent } from '../src/pipeline/memory-events.js';
import { surpriseAlerts as surpriseAlertsAsync, type SurpriseAlert, type SurpriseAlertsOptions } from '../src/pipeline/surprise-alerts.js';
import { type BridgeOptions, fromAsyncOperator } from './from-async-operator.js';

/** Options of the RxJS {@link surpriseAlerts}: those of the async operator (minus `signal`) and the input buffer's. */
export interface SurpriseAlertsOperatorOptions extends SurpriseAlertsOptions, BridgeOptions<MemoryEvent> {}

/**
 * RxJS version of `surpriseAlerts`: memory events → records whose surprise exceeds a fixed
 * threshold or a running quantile of their key's recent scores.
 *
 * @example
 * ```ts
 * events$.pipe(surpriseAlerts({ quantile: 0.995 })).subscribe((a) => console.log(a.score, a.position));
 * ```
 * @param options - threshold and/or quantile, window, warm-up, score field; buffer options.
 * @returns an operator from memory events to alerts.
 * @throws {ConfigError} at once for bad settings.
 */
export function surpriseAlerts(options: Omit<SurpriseAlertsOperatorOptions, 'signal'>): OperatorFunction<MemoryEvent, SurpriseAlert> {
  return fromAsyncOperator(surpriseAlertsAsync(options), { name: 'surpriseAlerts', ...options });
}
