import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { chunkTokens, type TokenChunk, type TokenRun } from '../../../src/pipeline/index.js';
import type { SourceRecord } from '../../../src/records/index.js';
import { fromIterable, toArray } from '../../../src/stream/index.js';

function run(key: string, index: number, tokens: number[]): TokenRun {
  const record: SourceRecord = { value: '', position: { kind: 'stream', stream: key, index } };
  return { key, record, tokens: Int32Array.from(tokens) };
}

/** Rebuilds every key's token stream and each record's tokens from the chunks. */
function reassemble(chunks: TokenChunk[]) {
  const streams = new Map<string, number[]>();
  const records = new Map<SourceRecord, number[]>();
  for (const chunk of chunks) {
    streams.set(chunk.key, [...(streams.get(chunk.key) ?? []), ...chunk.tokens]);
    let cursor = 0;
    for (const span of chunk.spans) {
      expect(span.start).toBe(cursor);
      cursor = span.end;
      const got = records.get(span.record) ?? [];
      expect(span.recordOffset).toBe(got.length);
      got.push(...chunk.tokens.subarray(span.start, span.end));
      records.set(span.record, got);
      expect(span.endsRecord).toBe(got.length === span.recordLength);
    }
    expect(cursor).toBe(chunk.tokens.length);
  }
  return { streams, records };
}

describe('chunkTokens', () => {
  it('emits nothing for an empty source', async () => {
    expect(await toArray(chunkTokens(4)(fromIterable([])))).toEqual([]);
  });

  it('packs records of one key into full chunks and flushes the tail at the end', async () => {
    const chunks = await toArray(chunkTokens(4)(fromIterable([run('a', 0, [1, 2, 3]), run('a', 1, [4, 5, 6, 7, 8, 9])])));
    expect(chunks.map((c) => [...c.tokens])).toEqual([[1, 2, 3, 4], [5, 6, 7, 8], [9]]);
    expect(chunks.map((c) => c.sequence)).toEqual([0, 1, 2]);
    expect(chunks[0]?.spans.map((s) => [s.start, s.end, s.recordOffset, s.endsRecord])).toEqual([
      [0, 3, 0, true],
      [3, 4, 0, false],
    ]);
  });

  it('never mixes keys in one chunk', async () => {
    const chunks = await toArray(chunkTokens(3)(fromIterable([run('a', 0, [1, 2]), run('b', 0, [10, 11]), run('a', 1, [3, 4])])));
    expect(chunks.map((c) => [c.key, [...c.tokens]])).toEqual([
      ['a', [1, 2, 3]],
      ['b', [10, 11]],
      ['a', [4]],
    ]);
  });

  it('rejects a bad size or wait with a ConfigError naming the field', () => {
    expect(() => chunkTokens(0)).toThrow(ConfigError);
    expect(() => chunkTokens(2.5)).toThrow(/chunkTokens.size/);
    expect(() => chunkTokens(4, { maxWaitMs: -1 })).toThrow(/chunkTokens.maxWaitMs/);
  });

  it('passes an upstream error through after the chunks before it, partial ones included', async () => {
    async function* failing() {
      yield run('a', 0, [1, 2, 3, 4, 5]);
      throw new Error('upstream broke');
    }
    const seen: number[][] = [];
    await expect(
      (async () => {
        for await (const c of chunkTokens(2)(failing())) seen.push([...c.tokens]);
      })(),
    ).rejects.toThrow('upstream broke');
    expect(seen).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('flushes a quiet key after maxWaitMs without waiting for more input', async () => {
    let returned = false;
    const source: AsyncIterable<TokenRun> = {
      [Symbol.asyncIterator]() {
        let sent = false;
        return {
          next: () => (sent ? new Promise<IteratorResult<TokenRun>>(() => {}) : ((sent = true), Promise.resolve({ done: false, value: run('a', 0, [1, 2]) }))),
          return: async () => ((returned = true), { done: true, value: undefined }),
        };
      },
    };
    const it = chunkTokens(8, { maxWaitMs: 20 })(source)[Symbol.asyncIterator]();
    const first = await it.next();
    expect(first.done).toBe(false);
    expect([...(first.value as TokenChunk).tokens]).toEqual([1, 2]);
    await it.return?.();
    expect(returned).toBe(true);
  });

  it('stops a never-ending source at once on return()', async () => {
    let returned = false;
    const source: AsyncIterable<TokenRun> = {
      [Symbol.asyncIterator]: () => ({
        next: () => new Promise<IteratorResult<TokenRun>>(() => {}),
        return: async () => ((returned = true), { done: true, value: undefined }),
      }),
    };
    const it = chunkTokens(4)(source)[Symbol.asyncIterator]();
    const pending = it.next();
    await it.return?.();
    expect(returned).toBe(true);
    await expect(pending).resolves.toMatchObject({ done: true });
  });

  it('never loses, duplicates or reorders tokens, whatever the sizes and keys (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c'), fc.array(fc.integer({ min: 0, max: 259 }), { maxLength: 20 })), { maxLength: 30 }),
        async (size, spec) => {
          const runs = spec.map(([key, tokens], i) => run(key, i, tokens));
          const chunks = await toArray(chunkTokens(size)(fromIterable(runs)));
          const { streams, records } = reassemble(chunks);
          for (const key of ['a', 'b', 'c']) {
            const expected = runs.filter((r) => r.key === key).flatMap((r) => [...r.tokens]);
            expect(streams.get(key) ?? []).toEqual(expected);
          }
          for (const r of runs) if (r.tokens.length > 0) expect(records.get(r.record)).toEqual([...r.tokens]);
          for (const c of chunks) expect(c.tokens.length).toBeLessThanOrEqual(size);
        },
      ),
      { numRuns: 200 },
    );
  });
});
