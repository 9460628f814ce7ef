import { ConfigError } from '../../src/errors/index.js';

const SAFE = /^[a-z0-9_-]$/;
const NAME = /^((?:[a-z0-9_-]|%[0-9A-F]{2})+)\.(\d+)\.snap$/;
const MAX_ENCODED_KEY = 200;
const SEQ_DIGITS = 12;

/**
 * Encodes a state key as a file-name-safe string, reversibly: `a-z`, `0-9`, `_` and `-` stay,
 * every other UTF-8 byte becomes `%XX` (uppercase letters too, so names never collide on
 * case-insensitive file systems).
 *
 * @example
 * ```ts
 * encodeSnapshotKey('logs/App.log') // "logs%2F%41pp%2Elog"
 * ```
 * @param key - A non-empty key.
 * @returns The encoded key.
 * @throws ConfigError when the key is empty or encodes to more than 200 characters.
 */
export function encodeSnapshotKey(key: string): string {
  if (typeof key !== 'string' || key === '') throw new ConfigError('key', 'must be a non-empty string');
  let out = '';
  for (const byte of new TextEncoder().encode(key)) {
    const char = String.fromCharCode(byte);
    out += SAFE.test(char) ? char : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  if (out.length > MAX_ENCODED_KEY) {
    throw new ConfigError('key', `"${key.slice(0, 40)}…" is too long for a file name (${out.length} > ${MAX_ENCODED_KEY} characters encoded); use a shorter key`);
  }
  return out;
}

/**
 * The file name of snapshot `seq` of a key: `<encoded key>.<seq, 12 digits>.snap`.
 *
 * @example
 * ```ts
 * snapshotFileName('part-0', 7) // "part-0.000000000007.snap"
 * ```
 * @param key - The key.
 * @param seq - A non-negative integer.
 * @returns The file name.
 * @throws ConfigError on a bad key or sequence number.
 */
export function snapshotFileName(key: string, seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new ConfigError('seq', `must be a non-negative integer, got ${String(seq)}`);
  return `${encodeSnapshotKey(key)}.${String(seq).padStart(SEQ_DIGITS, '0')}.snap`;
}

/**
 * Reads a snapshot file name back into its key and sequence number.
 *
 * @example
 * ```ts
 * parseSnapshotFileName('part-0.000000000007.snap') // { key: 'part-0', encodedKey: 'part-0', seq: 7 }
 * ```
 * @param name - A file name.
 * @returns The key (decoded and encoded) and sequence number, or `undefined` for any other file.
 */
export function parseSnapshotFileName(name: string): { key: string; encodedKey: string; seq: number } | undefined {
  const match = NAME.exec(name);
  const encodedKey = match?.[1];
  const seq = Number(match?.[2]);
  if (encodedKey === undefined || !Number.isSafeInteger(seq)) return undefined;
  try {
    return { key: decodeURIComponent(encodedKey), encodedKey, seq };
  } catch {
    return undefined;
  }
}
