import { UsageError } from './usage-error.js';

/** A parsed `--source` / `--sink` value such as `text:app.log`, `arrow:out.arrows`, `kafka:events`, `sample`. */
export interface EndpointSpec {
  readonly kind: string;
  readonly target: string;
}

/**
 * Parses `kind:target` (or a bare `kind`) and checks the kind is one of `kinds`.
 * A bare `-` means stdin as text.
 */
export function parseEndpoint(flag: string, value: string, kinds: readonly string[]): EndpointSpec {
  if (value === '-') return { kind: 'text', target: '-' };
  const colon = value.indexOf(':');
  const kind = colon < 0 ? value : value.slice(0, colon);
  const target = colon < 0 ? '' : value.slice(colon + 1);
  if (!kinds.includes(kind)) {
    throw new UsageError(`--${flag} "${value}": unknown kind "${kind}" (expected ${kinds.map((k) => `${k}:…`).join(', ')})`);
  }
  return { kind, target };
}
