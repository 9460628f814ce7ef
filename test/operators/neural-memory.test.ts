import { filter, firstValueFrom, lastValueFrom, tap, toArray as collect } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { chunkTokens, createBackpressure, fromAsyncIterable, neuralMemory, tokenize } from '../../operators/index.js';
import { neuralMemory as neuralMemoryAsync, tokenize as tokenizeAsync, chunkTokens as chunkTokensAsync, type ChunkResult } from '../../src/pipeline/index.js';
import { sampleLogRecords } from '../../src/sample/index.js';
import { pipe, toArray } from '../../src/stream/index.js';
import { initBackend, tf } from '../../src/tensor/index.js';
import { ByteTokenizer } from '../../src/tokenize/index.js';
import { stallingSource } from '../support/stream-fixtures.js';

const memory = { dim: 16, heads: 2, headDim: 8, chunkSize: 8, seed: 5 };

describe('RxJS neuralMemory', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('gives the same results as the async layer', async () => {
    const rx = await lastValueFrom(
      fromAsyncIterable(sampleLogRecords({ count: 40 })).pipe(tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory }), filter((e): e is ChunkResult => e.type === 'chunk'), collect()),
    );
    const direct = (await toArray(pipe(sampleLogRecords({ count: 40 }), tokenizeAsync(new ByteTokenizer()), chunkTokensAsync(8), neuralMemoryAsync({ memory })))).filter(
      (e): e is ChunkResult => e.type === 'chunk',
    );
    expect(rx.map((e) => Array.from(e.loss))).toEqual(direct.map((e) => Array.from(e.loss)));
  });

  it('unsubscribing stops a never-ending source at once and disposes every memory', async () => {
    const before = tf.memory().numTensors;
    const { source, returned } = stallingSource(await toArray(sampleLogRecords({ count: 3 })));
    const first = await firstValueFrom(fromAsyncIterable(source).pipe(tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory })));
    expect(first.type).toBe('chunk');
    expect(returned()).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('delivers a failure inside the layer to the subscriber with key and position, leaking nothing', async () => {
    const before = tf.memory().numTensors;
    const tokens = Int32Array.of(1, 2, 999_999);
    const chunk = { key: 'k', sequence: 0, tokens, spans: [{ record: { value: '', position: { kind: 'stream', stream: 'k', index: 4 } }, start: 0, end: 3, recordOffset: 0, recordLength: 3, endsRecord: true }] } as const;
    await expect(lastValueFrom(fromAsyncIterable([chunk]).pipe(neuralMemory({ memory })))).rejects.toThrow(/neuralMemory failed for key "k" at k#4/);
    await new Promise((r) => setTimeout(r, 10));
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with a shared gate, a fast source waits for the slow layer instead of overflowing, and nothing is lost', async () => {
    const gate = createBackpressure();
    const blocking = { policy: 'block', backpressure: gate, capacity: 8 } as const;
    let pulled = 0;
    let maxAhead = 0;
    let scored = 0;
    async function* counted() {
      for await (const record of sampleLogRecords({ count: 300 })) {
        pulled += 1;
        maxAhead = Math.max(maxAhead, pulled - scored);
        yield record;
      }
    }
    await lastValueFrom(
      fromAsyncIterable(counted(), { backpressure: gate }).pipe(
        tokenize(new ByteTokenizer(), blocking),
        chunkTokens(16, blocking),
        neuralMemory({ memory, ...blocking }),
        tap((e) => (scored += e.type === 'chunk' ? e.records.length : 0)),
      ),
    );
    expect(scored).toBe(300);
    // Without the gate the whole source would be pulled ahead of the memory at once.
    expect(maxAhead).toBeLessThan(100);
  });

  it('without a gate, policy "error" reports the overflow instead of buffering without bound', async () => {
    await expect(
      lastValueFrom(fromAsyncIterable(sampleLogRecords({ count: 2000 })).pipe(tokenize(new ByteTokenizer()), chunkTokens(8), neuralMemory({ memory, capacity: 4 }))),
    ).rejects.toThrow(/neuralMemory: buffer overflow, capacity 4/);
  });
});
