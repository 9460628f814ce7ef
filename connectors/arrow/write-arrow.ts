import { SourceReader } from '../../src/stream/index.js';
import type { ArrowRow } from './batch-builder.js';
import { createArrowSink } from './create-arrow-sink.js';
import type { ArrowSinkOptions, ArrowSinkStats } from './create-arrow-sink.js';

/**
 * Writes an async iterable of rows (or arrays of rows) to an Arrow IPC file through
 * {@link createArrowSink}. The source is pulled only as fast as the disk takes the batches
 * (at most `queueCapacity` encoded batches ahead). On success the file is closed with its
 * end-of-stream marker or footer; on an error or abort the source is stopped (`return()`),
 * the file is closed as it is, and the error is thrown.
 *
 * @example
 * ```ts
 * const stats = await writeArrow('out.arrows', { columns: { text: 'utf8' } })(lines());
 * ```
 * @param path - The output file.
 * @param options - The sink options.
 * @returns A function that consumes a source and resolves with the file's stats.
 * @throws What `createArrowSink` and `ArrowSink.write` throw, the source's error, or the signal's reason.
 */
export function writeArrow(
  path: string,
  options: ArrowSinkOptions,
): (source: AsyncIterable<ArrowRow | readonly ArrowRow[]>) => Promise<ArrowSinkStats> {
  return async (source) => {
    const sink = await createArrowSink(path, options);
    // SourceReader stops waiting for an idle source as soon as the signal aborts.
    const reader = new SourceReader(source, options.signal);
    try {
      for (let next = await reader.next(); !next.done; next = await reader.next()) await sink.write(next.value);
      return await sink.close();
    } catch (error) {
      await sink.abort(error);
      throw error;
    } finally {
      // Stops the source unless it has ended; does not wait for a pull that has not answered.
      await reader.close().catch(() => undefined);
    }
  };
}
