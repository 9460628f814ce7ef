/**
 * A correct `read_committed` filter for kafkajs.
 *
 * kafkajs 2.2.4 (its last release) drops the records of aborted transactions from a fetch with
 * `filterAbortedMessages`. That function assumes the broker lists a fetch's aborted transactions
 * in the order of their first offsets. The broker lists them in the order of their abort markers.
 * It also turns on at most one aborted transaction per record. So when transactions abort in
 * another order than they began (a crashed exactly-once process whose open transactions are
 * fenced one partition at a time does exactly that), the records of some aborted transactions
 * are delivered as if committed. Committed records that follow a late-noticed aborted transaction
 * of the same producer can be dropped in the same way.
 *
 * This module gives kafkajs a filter that works as the Java client's does: aborted transactions
 * are taken in order of their first offsets, every one that began at or before a record applies
 * to it, and a producer's abort marker ends its aborted transaction. It is installed by seeding
 * Node's module cache before kafkajs loads, so it must be imported before `kafkajs` (the
 * connector's only import of kafkajs, `kafkajs-library.ts`, does that). When kafkajs was loaded
 * first by someone else, the fix cannot apply: a process warning with code
 * `TITANS_KAFKAJS_READ_COMMITTED` says so.
 */
import { createRequire, Module } from 'node:module';

/** An aborted transaction as a kafkajs fetch response lists it. */
export interface AbortedTransaction {
  readonly producerId: string;
  readonly firstOffset: string;
}

/** The fields of a fetched kafkajs message the filter reads. */
export interface FetchedMessage {
  readonly offset: string;
  readonly key?: Uint8Array | null;
  readonly isControlRecord?: boolean;
  /** The record batch the message came in (absent for the pre-0.11 message format). */
  readonly batchContext?: { readonly producerId: string; readonly inTransaction: boolean };
}

/** Marks our filter, so a second copy of this module (a test runner's fresh module graph) recognizes it. */
const MARK = Symbol.for('titans-stream.kafkajs-read-committed');

/** Whether a control record is an abort marker: its key is (version: int16, type: int16), and type 0 is ABORT. */
function isAbortMarker(message: FetchedMessage): boolean {
  const key = message.key;
  return key !== null && key !== undefined && key.length >= 4 && key[2] === 0 && key[3] === 0;
}

/**
 * The fetched messages without the records of aborted transactions. It keeps the control
 * records, as the kafkajs function it replaces does: kafkajs drops those itself.
 *
 * @param fetch - one partition's fetched messages in offset order, and the aborted transactions the broker listed for them (in any order).
 * @returns the messages of committed transactions and non-transactional ones, and the control records.
 */
export function withoutAbortedRecords<M extends FetchedMessage>(fetch: { readonly messages: readonly M[]; readonly abortedTransactions?: readonly AbortedTransaction[] | null }): M[] {
  const listed = fetch.abortedTransactions ?? [];
  if (listed.length === 0) return [...fetch.messages];
  const byStart = [...listed].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : BigInt(a.firstOffset) > BigInt(b.firstOffset) ? 1 : 0));
  const abortedProducers = new Set<string>();
  let next = 0;
  return fetch.messages.filter((message) => {
    const offset = BigInt(message.offset);
    for (; next < byStart.length && BigInt((byStart[next] as AbortedTransaction).firstOffset) <= offset; next++) abortedProducers.add(String((byStart[next] as AbortedTransaction).producerId));
    const context = message.batchContext;
    if (context === undefined) return true;
    if (message.isControlRecord === true) {
      if (isAbortMarker(message)) abortedProducers.delete(String(context.producerId));
      return true;
    }
    return !(context.inTransaction && abortedProducers.has(String(context.producerId)));
  });
}
Object.defineProperty(withoutAbortedRecords, MARK, { value: true });

const require = createRequire(import.meta.url);

/**
 * Puts {@link withoutAbortedRecords} in place of kafkajs' filter, unless kafkajs' batch module
 * is loaded already.
 *
 * @returns whether kafkajs uses the correct filter.
 */
function install(): boolean {
  const filterPath = require.resolve('kafkajs/src/consumer/filterAbortedMessages.js');
  const batchPath = require.resolve('kafkajs/src/consumer/batch.js');
  const cached = require.cache[filterPath]?.exports as Record<symbol, unknown> | undefined;
  if (cached?.[MARK] === true) return true;
  if (require.cache[batchPath] !== undefined) return false;
  const seeded = new Module(filterPath);
  seeded.filename = filterPath;
  seeded.loaded = true;
  seeded.exports = withoutAbortedRecords;
  require.cache[filterPath] = seeded;
  return true;
}

/** Whether kafkajs filters aborted transactions with {@link withoutAbortedRecords}. */
export const readCommittedFilterInstalled: boolean = install();

if (!readCommittedFilterInstalled) {
  process.emitWarning(
    "kafkajs was loaded before titans-stream's Kafka connector, so its read_committed filter (which can deliver records of aborted transactions) could not be replaced: import the connector before kafkajs",
    { code: 'TITANS_KAFKAJS_READ_COMMITTED' },
  );
}
