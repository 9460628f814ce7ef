import { ConfigError } from '../errors/config-error.js';

/**
 * Checks that an option is a positive integer (or `Infinity` when `allowInfinity`).
 *
 * @throws {ConfigError} naming `field` otherwise.
 */
export function requirePositiveInteger(field: string, value: number, allowInfinity = false): void {
  if ((Number.isInteger(value) && value > 0) || (allowInfinity && value === Infinity)) return;
  throw new ConfigError(field, `must be a positive integer${allowInfinity ? ' or Infinity' : ''}, got ${String(value)}`);
}

/**
 * Checks that an option is a non-negative integer.
 *
 * @throws {ConfigError} naming `field` otherwise.
 */
export function requireNonNegativeInteger(field: string, value: number): void {
  if (Number.isInteger(value) && value >= 0) return;
  throw new ConfigError(field, `must be a non-negative integer, got ${String(value)}`);
}

/**
 * Checks that an option is a finite number greater than zero.
 *
 * @throws {ConfigError} naming `field` otherwise.
 */
export function requirePositiveNumber(field: string, value: number): void {
  if (Number.isFinite(value) && value > 0) return;
  throw new ConfigError(field, `must be a finite number greater than 0, got ${String(value)}`);
}
