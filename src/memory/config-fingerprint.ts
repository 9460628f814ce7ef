/** JSON with object keys sorted, so that equal configurations give equal text. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 32-bit FNV-1a over UTF-16 code units, from a given offset basis. */
function fnv1a(text: string, basis: number): number {
  let h = basis >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A short, stable fingerprint of a configuration: 16 hex digits from two FNV-1a hashes of its
 * canonical JSON (keys sorted, `undefined` dropped). Equal configurations give equal fingerprints
 * on every platform; use it to check that a snapshot fits the memory it is loaded into. Not a
 * cryptographic hash.
 *
 * @example
 * ```ts
 * configFingerprint({ dim: 64, depth: 2 }) === configFingerprint({ depth: 2, dim: 64 }); // true
 * ```
 * @param config - Any JSON-compatible value.
 * @returns 16 lowercase hex digits.
 */
export function configFingerprint(config: unknown): string {
  const text = canonicalJson(config);
  const hex = (x: number) => x.toString(16).padStart(8, '0');
  return hex(fnv1a(text, 0x811c9dc5)) + hex(fnv1a(text, 0x050c5d1f));
}
