import type { SourceReader } from './source-reader.js';

/**
 * Closes every reader (see {@link SourceReader.close}), all of them even if some fail.
 *
 * @throws The first error a reader's `close()` threw, after all have been closed.
 */
export async function closeAll(readers: Iterable<SourceReader<unknown>>): Promise<void> {
  const results = await Promise.allSettled(Array.from(readers, (reader) => reader.close()));
  const failure = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failure !== undefined) throw failure.reason;
}
