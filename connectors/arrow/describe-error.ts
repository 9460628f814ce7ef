/**
 * Short text of an unknown thrown value, for problem descriptions inside typed errors.
 *
 * @example
 * ```ts
 * describeError(new RangeError('offset out of bounds')) // "offset out of bounds"
 * ```
 * @param error - Anything that was thrown.
 * @returns Its message, or its string form.
 */
export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
