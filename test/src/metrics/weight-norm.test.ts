import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TokenMemory, type MemoryState } from '../../../src/memory/index.js';
import { memoryWeightNorm } from '../../../src/metrics/index.js';
import { initBackend } from '../../../src/tensor/index.js';

describe('memoryWeightNorm', () => {
  let memory: TokenMemory;
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    memory = TokenMemory.create({ vocabSize: 260, dim: 8, chunkSize: 4, heads: 2, headDim: 4 });
  });
  afterAll(() => memory.dispose());

  it('is the Frobenius norm over every h*.l*.weight array and ignores momentum and buffers', async () => {
    await memory.process(Int32Array.from([1, 2, 3, 4, 5, 6]));
    const state = await memory.exportState();
    const weights = state.arrays.filter((a) => /^h\d+\.l\d+\.weight$/.test(a.name));
    expect(weights.length).toBe(4);
    const naive = Math.sqrt(weights.flatMap((a) => [...a.data]).reduce((s, x) => s + x * x, 0));
    expect(memoryWeightNorm(state)).toBeCloseTo(naive, 6);
    const scaledMomentum: MemoryState = { ...state, arrays: state.arrays.map((a) => (a.name.endsWith('.momentum') ? { ...a, data: a.data.map((x) => x * 100) } : a)) };
    expect(memoryWeightNorm(scaledMomentum)).toBeCloseTo(naive, 6);
  });

  it('is 0 without weight arrays', async () => {
    const state = await memory.exportState();
    expect(memoryWeightNorm({ ...state, arrays: [] })).toBe(0);
  });
});
