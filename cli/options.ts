import { UsageError } from './usage-error.js';

/** Parses a flag value as an integer in [min, max]. */
export function intOption(flag: string, value: string | undefined, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

/** Parses a flag value as a finite number in [min, max]. */
export function numberOption(flag: string, value: string | undefined, fallback: number, min = -Infinity, max = Infinity): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be a number in [${min}, ${max}], got "${value}"`);
  }
  return n;
}

/** Parses a flag value that must be one of `choices`. */
export function choiceOption<T extends string>(flag: string, value: string | undefined, choices: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(choices as readonly string[]).includes(value)) {
    throw new UsageError(`--${flag} must be one of ${choices.join(', ')}, got "${value}"`);
  }
  return value as T;
}
