import { ConfigError } from '../errors/index.js';

/** Throws a {@link ConfigError} for every key of `config` that is not in `known`. */
export function rejectUnknownKeys(config: object, known: readonly string[], prefix = ''): void {
  for (const key of Object.keys(config)) {
    if (!known.includes(key)) throw new ConfigError(prefix + key, `unknown option; known options are ${known.join(', ')}`);
  }
}

/** `value` if it is an integer ≥ `min`, else a {@link ConfigError} naming `field`. */
export function integerAtLeast(value: unknown, field: string, min: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min) {
    throw new ConfigError(field, `must be an integer ≥ ${min}, got ${String(value)}`);
  }
  return value;
}

/** `value` if it is a finite number in [lo, hi] (bounds exclusive where asked), else a {@link ConfigError}. */
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

/** `value` if it is a boolean, else a {@link ConfigError}. */
export function bool(value: unknown, field: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(field, `must be true or false, got ${String(value)}`);
  return value;
}

/** `value` if it is one of `choices`, else a {@link ConfigError} listing them. */
export function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  if (typeof value !== 'string' || !(choices as readonly string[]).includes(value)) {
    throw new ConfigError(field, `unknown value ${JSON.stringify(value)}; expected one of ${choices.join(', ')}`);
  }
  return value as T;
}

/** A seed: a safe integer or a string. */
export function seedValue(value: unknown, field: string): number | string {
  if (typeof value === 'string' || (typeof value === 'number' && Number.isSafeInteger(value))) return value;
  throw new ConfigError(field, `must be a safe integer or a string, got ${String(value)}`);
}
