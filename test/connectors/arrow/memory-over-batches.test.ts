import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createArrowSink, readArrowRecords } from '../../../connectors/arrow/index.js';
import { chunkTokens, neuralMemory, tokenize, type MemoryEvent } from '../../../src/pipeline/index.js';
import { pipe, toArray } from '../../../src/stream/index.js';
import { initBackend } from '../../../src/tensor/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer } from '../../../src/tokenize/index.js';

const memory = { dim: 8, heads: 1, headDim: 8, chunkSize: 16, seed: 2 };

/** Writes `lines` as an Arrow stream whose batches have the given sizes, then runs the memory over it. */
async function finalState(file: string, lines: string[], batchSizes: number[]) {
  const sink = await createArrowSink(file, { columns: { text: 'utf8' }, batchRows: 1_000_000 });
  let at = 0;
  for (const size of batchSizes) {
    if (at >= lines.length) break;
    await sink.write(lines.slice(at, at + size).map((text) => ({ text })));
    at += size;
    await sink.flush(); // ends the batch here
  }
  if (at < lines.length) await sink.write(lines.slice(at).map((text) => ({ text })));
  await sink.close();
  const events: MemoryEvent[] = await toArray(
    pipe(readArrowRecords(file, { column: 'text' }), tokenize(new ByteTokenizer(), { separator: BYTE_RECORD_SEPARATOR, key: () => 'k' }), chunkTokens(16), neuralMemory({ memory, finalSnapshots: true })),
  );
  const final = events.find((e) => e.type === 'snapshot');
  if (final?.type !== 'snapshot') throw new Error('no final snapshot');
  return final.snapshot.state;
}

describe('Arrow input through the memory', () => {
  let dir = '';
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    dir = await mkdtemp(path.join(tmpdir(), 'titans-arrow-mem-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the same records in Arrow batches of any sizes give the same memory (property)', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.string({ minLength: 0, maxLength: 30 }), { minLength: 1, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 12 }), { minLength: 1, maxLength: 10 }),
        async (lines, sizes) => {
          run += 1;
          const oneBatch = await finalState(path.join(dir, `one-${run}.arrows`), lines, [lines.length]);
          const split = await finalState(path.join(dir, `split-${run}.arrows`), lines, sizes);
          expect(split.tokensSeen).toBe(oneBatch.tokensSeen);
          split.arrays.forEach((a, i) => expect(Array.from(a.data)).toEqual(Array.from(oneBatch.arrays[i]?.data ?? [])));
        },
      ),
      { numRuns: 15 },
    );
  });
});
