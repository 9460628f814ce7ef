import type { SourcePosition } from './source-position.js';

/**
 * Orders two positions of the same stream: negative when `a` comes first, 0 when equal,
 * positive when `a` comes after. Positions of different kinds or streams are not comparable.
 *
 * @returns the order, or `undefined` when the positions belong to different streams.
 */
export function comparePositions(a: SourcePosition, b: SourcePosition): number | undefined {
  if (a.kind === 'text' && b.kind === 'text') return a.file === b.file ? a.byteOffset - b.byteOffset : undefined;
  if (a.kind === 'arrow' && b.kind === 'arrow') return a.file === b.file ? a.batch - b.batch || a.row - b.row : undefined;
  if (a.kind === 'stream' && b.kind === 'stream') return a.stream === b.stream ? a.index - b.index : undefined;
  if (a.kind === 'kafka' && b.kind === 'kafka') {
    if (a.topic !== b.topic || a.partition !== b.partition) return undefined;
    const d = BigInt(a.offset) - BigInt(b.offset);
    return d < 0n ? -1 : d > 0n ? 1 : 0;
  }
  return undefined;
}
