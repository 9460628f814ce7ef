import { RecordBatchReader } from 'apache-arrow';
import type { RecordBatch } from 'apache-arrow';

/**
 * Decodes one record batch message with apache-arrow, given the stream's schema message and
 * the dictionary messages the batch needs. Each call is independent: no reader state is
 * carried between batches, so a batch can be decoded in any order (file random access,
 * resume) and a damaged batch cannot spoil the next.
 *
 * @example
 * ```ts
 * const batch = decodeRecordBatch(schemaMessage, [], head, body);
 * batch.numRows;
 * ```
 * @param schemaMessage - The encoded schema message (framing included).
 * @param dictionaryMessages - Encoded dictionary messages (heads and bodies, in order).
 * @param head - The batch message's framing and metadata.
 * @param body - The batch message's body.
 * @returns The decoded batch.
 * @throws Error from apache-arrow when the bytes cannot be decoded.
 */
export function decodeRecordBatch(
  schemaMessage: Uint8Array,
  dictionaryMessages: readonly Uint8Array[],
  head: Uint8Array,
  body: Uint8Array,
): RecordBatch {
  const reader = RecordBatchReader.from([schemaMessage, ...dictionaryMessages, head, body]);
  const result = reader.next();
  if (result.done) throw new Error('no record batch in message');
  return result.value;
}
