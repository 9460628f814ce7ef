/** A learning-rate schedule: linear warm-up, then cosine decay to a floor. */
export interface LrSchedule {
  /** Peak learning rate, reached at the end of the warm-up. */
  readonly peak: number;
  /** Warm-up steps (≥ 0). */
  readonly warmup: number;
  /** Total steps; the cosine reaches the floor here. */
  readonly total: number;
  /** Floor as a fraction of the peak (default 0.1). */
  readonly minRatio?: number;
}

/**
 * The learning rate of a step (0-based): `peak·(step + 1)/warmup` during the warm-up, then
 * `peak·(r + (1 − r)·½(1 + cos(π·p)))` with p the fraction of the remaining steps done and r the
 * floor ratio; the floor after `total`.
 *
 * @example
 * ```ts
 * learningRate({ peak: 3e-3, warmup: 100, total: 1000 }, 0); // 3e-5
 * ```
 * @param schedule - The schedule.
 * @param step - 0-based step.
 * @returns The learning rate.
 */
export function learningRate(schedule: LrSchedule, step: number): number {
  const { peak, warmup, total } = schedule;
  const floor = schedule.minRatio ?? 0.1;
  if (step < warmup) return (peak * (step + 1)) / warmup;
  const span = Math.max(1, total - warmup);
  const p = Math.min(1, (step - warmup) / span);
  return peak * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * p)));
}
