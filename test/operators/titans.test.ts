import { filter, firstValueFrom, lastValueFrom, toArray as collect } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chunkTokens, fromAsyncIterable, titans, tokenize } from '../../operators/index.js';
import { TitansModel } from '../../src/model/index.js';
import { chunkTokens as chunkTokensAsync, titans as titansAsync, tokenize as tokenizeAsync, type ChunkResult } from '../../src/pipeline/index.js';
import { sampleLogRecords } from '../../src/sample/index.js';
import { InMemorySnapshotStore } from '../../src/snapshot/index.js';
import { pipe, toArray } from '../../src/stream/index.js';
import { initBackend, tf } from '../../src/tensor/index.js';
import { ByteTokenizer } from '../../src/tokenize/index.js';
import { stallingSource } from '../support/stream-fixtures.js';

describe('RxJS titans', () => {
  let model: TitansModel;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    model = TitansModel.create({ arch: 'mag', dim: 16, layers: 1, heads: 2, segment: 8, window: 12, persistent: 2, seed: 4 });
  });
  afterAll(() => model.dispose());

  it('gives the same results as the async layer, snapshots included', async () => {
    const rx = await lastValueFrom(
      fromAsyncIterable(sampleLogRecords({ count: 8 })).pipe(tokenize(new ByteTokenizer()), chunkTokens(8), titans(model, { predictions: 2, snapshots: { everyChunks: 5 }, store: new InMemorySnapshotStore() }), collect()),
    );
    const direct = await toArray(pipe(sampleLogRecords({ count: 8 }), tokenizeAsync(new ByteTokenizer()), chunkTokensAsync(8), titansAsync(model, { predictions: 2, snapshots: { everyChunks: 5 }, store: new InMemorySnapshotStore() })));
    const chunks = (events: typeof direct) => events.filter((e): e is ChunkResult => e.type === 'chunk');
    expect(chunks(rx).map((e) => Array.from(e.loss))).toEqual(chunks(direct).map((e) => Array.from(e.loss)));
    expect(chunks(rx).map((e) => Array.from(e.topK?.ids ?? []))).toEqual(chunks(direct).map((e) => Array.from(e.topK?.ids ?? [])));
    expect(rx.map((e) => e.type)).toEqual(direct.map((e) => e.type));
    expect(rx.some((e) => e.type === 'snapshot' && e.reason === 'periodic')).toBe(true);
  });

  it('unsubscribing stops a never-ending source at once and frees every stream (not the model)', async () => {
    const before = tf.memory().numTensors;
    const { source, returned } = stallingSource(await toArray(sampleLogRecords({ count: 3 })));
    const first = await firstValueFrom(fromAsyncIterable(source).pipe(tokenize(new ByteTokenizer()), chunkTokens(8), titans(model), filter((e) => e.type === 'chunk')));
    expect(first.type).toBe('chunk');
    expect(returned()).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(tf.memory().numTensors).toBe(before);
    expect(() => model.stream().dispose()).not.toThrow();
  });

  it('delivers a token outside the vocabulary to the subscriber as an error with key and position', async () => {
    const chunk = { key: 'k', sequence: 0, tokens: Int32Array.of(1, 2, 999), spans: [{ record: { value: '', position: { kind: 'stream', stream: 'k', index: 4 } }, start: 0, end: 3, recordOffset: 0, recordLength: 3, endsRecord: true }] } as const;
    await expect(lastValueFrom(fromAsyncIterable([chunk]).pipe(titans(model)))).rejects.toThrow(/titans failed for key "k" at k#4: token 999/);
  });
});
