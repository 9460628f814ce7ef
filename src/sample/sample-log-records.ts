import type { SourceRecord } from '../records/source-record.js';
import { sampleLogLines } from './sample-log-lines.js';
import type { SampleLogOptions } from './sample-log-lines.js';

/** Options of {@link sampleLogRecords}. */
export interface SampleLogRecordOptions extends SampleLogOptions {
  /** Stream name in each record's position. Default `"sample-logs"`. */
  stream?: string;
  /** Stops the iteration: the next pull rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** The generator gives the event loop a turn this often, so timers (and aborts) can run. */
const YIELD_EVERY = 1024;

/**
 * The sample logs of {@link sampleLogLines} as a record source: each line is a `string` value
 * with position `{ kind: 'stream', stream: 'sample-logs', index }`. Needs no server or file,
 * which makes it the default input of the command line and of examples.
 *
 * Lines are generated as they are pulled. Every 1024 records the iterator waits for a
 * `setImmediate` turn, so a never-ending sample (`count: Infinity`) cannot starve timers.
 *
 * @example
 * ```ts
 * for await (const record of sampleLogRecords({ count: 10_000, seed: 1 })) {
 *   console.log(formatPosition(record.position), record.value);
 * }
 * ```
 * @param options - As {@link sampleLogLines}, plus the stream name and an abort signal.
 * @returns An async iterable of records (each iteration starts the sample from the beginning).
 * @throws ConfigError if an option is out of range (thrown at the call).
 * @throws The signal's reason (an `AbortError` by default) from the first pull after an abort.
 */
export function sampleLogRecords(options: SampleLogRecordOptions): AsyncIterable<SourceRecord> {
  const { stream = 'sample-logs', signal, ...sampleOptions } = options;
  sampleLogLines(sampleOptions); // validates now, not on first pull
  return {
    async *[Symbol.asyncIterator]() {
      for (const { index, line } of sampleLogLines(sampleOptions)) {
        signal?.throwIfAborted();
        if (index > 0 && index % YIELD_EVERY === 0) {
          await new Promise((resolve) => setImmediate(resolve));
          signal?.throwIfAborted();
        }
        yield { value: line, position: { kind: 'stream', stream, index } };
      }
    },
  };
}
