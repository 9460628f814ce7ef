import type { SourceRecord } from '../../src/records/index.js';

/**
 * `count` short records of one stream, `"<stream> event <n> ok"`, at indexes `offset`, `offset + 1`, ….
 *
 * @param stream - Stream name (also the records' key).
 * @param count - How many.
 * @param offset - Index of the first.
 * @returns The records.
 */
export function streamRecords(stream: string, count: number, offset = 0): SourceRecord[] {
  return Array.from({ length: count }, (_, i) => ({ value: `${stream} event ${(i * 7) % 13} ok`, position: { kind: 'stream', stream, index: offset + i } }));
}

/**
 * The lists merged round robin: the first of each, then the second of each, ….
 *
 * @param lists - Record lists.
 * @returns One list.
 */
export function interleave(...lists: SourceRecord[][]): SourceRecord[] {
  const out: SourceRecord[] = [];
  for (let i = 0; i < Math.max(...lists.map((l) => l.length)); i++) for (const l of lists) if (l[i]) out.push(l[i] as SourceRecord);
  return out;
}

/**
 * A source that yields `items` and then never ends (its next `next()` never settles), and records
 * whether its `return()` was called: for tests that a consumer stops its source at once.
 *
 * @param items - What it yields first.
 * @returns The source and whether it was returned.
 */
export function stallingSource<T>(items: readonly T[]): { readonly source: AsyncIterable<T>; readonly returned: () => boolean } {
  let returned = false;
  let sent = 0;
  const source: AsyncIterable<T> = {
    [Symbol.asyncIterator]: () => ({
      next: () => (sent < items.length ? Promise.resolve({ done: false, value: items[sent++] as T }) : new Promise<IteratorResult<T>>(() => {})),
      return: async () => ((returned = true), { done: true, value: undefined }),
    }),
  };
  return { source, returned: () => returned };
}
