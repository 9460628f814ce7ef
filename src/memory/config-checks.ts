import { ConfigError } from '../errors/index.js';

/**
 * Throws a {@link ConfigError} for the first key of `config` that is not in `known`.
 *
 * @example
 * ```ts
 * rejectUnknownKeys({ chunksize: 16 }, ['chunkSize']); // throws ConfigError('chunksize', …)
 * ```
 * @param config - The object to check.
 * @param known - Allowed keys.
 * @param prefix - Prefix of the reported field (e.g. `momentum.`).
 * @throws {@link ConfigError} naming the unknown key.
 */
export function rejectUnknownKeys(config: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new ConfigError(prefix + key, `unknown option; known options are ${known.join(', ')}`);
  }
}

/**
 * `value` if it is a safe integer ≥ `min`.
 *
 * @example
 * ```ts
 * integerAtLeast(config.chunkSize ?? 64, 'chunkSize', 1);
 * ```
 * @param value - The value to check.
 * @param field - Field name for the error.
 * @param min - Smallest allowed value.
 * @returns `value`.
 * @throws {@link ConfigError} naming `field`.
 */
export function integerAtLeast(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(field, `must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/**
 * `value` if it is a finite number in [lo, hi] (bounds exclusive where asked).
 *
 * @example
 * ```ts
 * numberIn(0.5, 'momentum', 0, 1);                  // 0.5
 * numberIn(0, 'temperature', 0, Infinity, { lo: true }); // throws
 * ```
 * @param value - The value to check.
 * @param field - Field name for the error.
 * @param lo - Lower bound.
 * @param hi - Upper bound (Infinity for none).
 * @param open - Which bounds are exclusive.
 * @returns `value`.
 * @throws {@link ConfigError} naming `field`.
 */
export function numberIn(value: unknown, field: string, lo: number, hi: number, open: { lo?: boolean; hi?: boolean } = {}): number {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (open.lo ? value > lo : value >= lo) &&
    (open.hi ? value < hi : value <= hi);
  if (!ok) {
    const range = `${open.lo ? '(' : '['}${lo}, ${hi === Infinity ? '∞' : hi}${open.hi || hi === Infinity ? ')' : ']'}`;
    throw new ConfigError(field, `must be a number in ${range}, got ${String(value)}`);
  }
  return value as number;
}

/**
 * `value` if it is a boolean.
 *
 * @example
 * ```ts
 * bool(config.residual ?? false, 'residual');
 * ```
 * @param value - The value to check.
 * @param field - Field name for the error.
 * @returns `value`.
 * @throws {@link ConfigError} naming `field`.
 */
export function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(field, `must be true or false, got ${String(value)}`);
  return value;
}

/**
 * `value` if it is one of `choices`.
 *
 * @example
 * ```ts
 * oneOf('l2', 'loss', ['l2', 'huber', 'lp'] as const); // 'l2'
 * ```
 * @param value - The value to check.
 * @param field - Field name for the error.
 * @param choices - Allowed values.
 * @returns `value`, typed as one of `choices`.
 * @throws {@link ConfigError} naming `field` and listing the choices.
 */
export function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(field, `unknown value ${JSON.stringify(value)}; expected one of ${choices.join(', ')}`);
  }
  return value as T;
}

/**
 * `value` if it is a seed: a safe integer or a string.
 *
 * @example
 * ```ts
 * seedValue(config.seed ?? 0, 'seed');
 * ```
 * @param value - The value to check.
 * @param field - Field name for the error.
 * @returns `value`.
 * @throws {@link ConfigError} naming `field`.
 */
export function seedValue(value: unknown, field: string): number | string {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value))) return value;
  throw new ConfigError(field, `must be a safe integer or a string, got ${String(value)}`);
}
