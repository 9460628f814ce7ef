import { bufferCount, filter, mergeMap, take } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TokenChunk } from '../../src/pipeline/index.js';
import type { SourceRecord } from '../../src/records/index.js';
import { sampleLogRecords } from '../../src/sample/index.js';
import { toArray } from '../../src/stream/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer } from '../../src/tokenize/index.js';
import { type BridgeOptions, chunkTokens, createBackpressure, type FromAsyncIterableOptions, fromAsyncIterable, tokenize } from '../../operators/index.js';
import { sleep } from '../src/stream/helpers.js';
import { collect } from './helpers.js';

const tokenizer = new ByteTokenizer();
const COUNT = 500;

/** Index of a sample record (its position is a stream position). */
function indexOf(record: SourceRecord): number {
  if (record.position.kind !== 'stream') throw new Error(`unexpected position ${record.position.kind}`);
  return record.position.index;
}

describe('a composed RxJS pipeline', () => {
  type Buffering = { source: FromAsyncIterableOptions; buffer: Pick<BridgeOptions<unknown>, 'capacity' | 'policy' | 'backpressure'> };
  const setups: [string, () => Buffering][] = [
    ['default buffers (policy error)', () => ({ source: {}, buffer: {} })],
    [
      'one backpressure gate, policy block, small buffers',
      () => {
        const gate = createBackpressure();
        return { source: { backpressure: gate }, buffer: { capacity: 8, policy: 'block', backpressure: gate } };
      },
    ],
  ];

  it.each(setups)('records → tokenize → chunkTokens(64) → filter/bufferCount/mergeMap accounts for every token (%s)', async (_, setup) => {
    const { source, buffer } = setup();
    const records = sampleLogRecords({ count: COUNT, seed: 11 });
    const seen = await collect(
      fromAsyncIterable(records, source).pipe(
        tokenize(tokenizer, { separator: BYTE_RECORD_SEPARATOR, ...buffer }),
        chunkTokens(64, buffer),
        filter((chunk) => chunk.tokens.length > 0),
        bufferCount(5),
        // Batches are handled concurrently and may finish out of order.
        mergeMap(async (batch: TokenChunk[]) => {
          await sleep(batch.length % 2);
          return batch;
        }, 3),
        mergeMap((batch) => batch),
      ),
      20_000,
    );
    expect(seen.error).toBeUndefined();
    expect(seen.completed).toBe(true);

    // Every record's tokens, rebuilt from the chunks' spans, equal its direct encoding plus the separator.
    const expected = (await toArray(records)).map((r) => [...tokenizer.encode(r.value), BYTE_RECORD_SEPARATOR]);
    const rebuilt: number[][] = Array.from({ length: COUNT }, () => []);
    const sequences: number[] = [];
    for (const chunk of seen.values) {
      sequences.push(chunk.sequence);
      expect(chunk.tokens.length).toBeLessThanOrEqual(64);
      for (const span of chunk.spans) {
        const tokens = rebuilt[indexOf(span.record)] as number[];
        expect(span.recordOffset).toBe(tokens.length);
        tokens.push(...chunk.tokens.subarray(span.start, span.end));
      }
    }
    expect(rebuilt).toEqual(expected);
    const total = expected.reduce((n, t) => n + t.length, 0);
    expect(seen.values.reduce((n, c) => n + c.tokens.length, 0)).toBe(total);
    // One key (the sample stream): chunks 0..n-1, each once, all full but the last.
    expect([...sequences].sort((a, b) => a - b)).toEqual(sequences.map((_, i) => i));
    expect(seen.values.filter((c) => c.tokens.length < 64)).toHaveLength(total % 64 === 0 ? 0 : 1);
  });

  it('unsubscribing downstream (take) stops an endless sample source and every stage', async () => {
    let aborted: AbortSignal | undefined;
    const seen = await collect(
      fromAsyncIterable((signal) => ((aborted = signal), sampleLogRecords({ count: Infinity, signal }))).pipe(
        tokenize(tokenizer),
        chunkTokens(64),
        take(10),
      ),
    );
    expect(seen.values).toHaveLength(10);
    expect(seen.completed).toBe(true);
    expect(aborted?.aborted).toBe(true);
  });
});
