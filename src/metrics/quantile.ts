/**
 * The `q`-quantile of `values` by the nearest-rank method (the smallest value with at least a
 * fraction `q` of the values at or below it).
 *
 * @example
 * ```ts
 * quantile([5, 1, 4, 2, 3], 0.5); // 3
 * ```
 * @param values - The sample (not modified).
 * @param q - The quantile, in [0, 1].
 * @returns The quantile, or `NaN` for an empty sample.
 */
export function quantile(values: ArrayLike<number>, q: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}
