import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHS, TitansModel } from '../../../src/model/index.js';
import type { Arch, TitansModelConfig } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import { randomModel } from './random-model.js';

const tiny = (arch: Arch, extra: Partial<TitansModelConfig> = {}): TitansModelConfig => ({
  arch,
  vocabSize: 40,
  bosId: 39,
  dim: 16,
  layers: 2,
  heads: 2,
  segment: 4,
  window: 6,
  persistent: 2,
  seed: 3,
  ...extra,
});

async function runSplit(model: TitansModel, tokens: Int32Array, cuts: number[], topK = 0) {
  const stream = model.stream();
  const nll: number[] = [];
  const probs: number[] = [];
  let start = 0;
  for (const end of [...cuts, tokens.length]) {
    const r = await stream.process(tokens.subarray(start, end), { topK });
    expect(r.firstIndex).toBe(start);
    nll.push(...r.nll);
    if (r.topK) probs.push(...r.topK.probs);
    start = end;
  }
  stream.dispose();
  return { nll, probs };
}

describe('TitansStream', () => {
  const models = new Map<Arch, TitansModel>();
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    // LMM with the linear (depth-1) memory; the others with the default MLP memory.
    for (const arch of ARCHS) models.set(arch, TitansModel.create(tiny(arch, arch === 'lmm' ? { memory: { depth: 1 } } : {})));
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it.each(ARCHS)('%s: one call or many, split anywhere, gives the same outputs', async (arch) => {
    const model = models.get(arch) as TitansModel;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 39 }), { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 5 }), async (ids, rawCuts) => {
        const tokens = Int32Array.from(ids);
        const cuts = [...new Set(rawCuts.map((c) => c % tokens.length))].sort((a, b) => a - b);
        const whole = await runSplit(model, tokens, [], 3);
        const split = await runSplit(model, tokens, cuts, 3);
        expect(split.nll).toHaveLength(tokens.length);
        split.nll.forEach((x, i) => expect(Math.abs(x - (whole.nll[i] as number))).toBeLessThan(1e-4));
        split.probs.forEach((x, i) => expect(Math.abs(x - (whole.probs[i] as number))).toBeLessThan(1e-5));
      }),
      { numRuns: 8, seed: 7 },
    );
  });

  it.each(ARCHS)('%s: a call whose last row starts a new head group (8 segments + 1 with BOS) scores every token with top-k', async (arch) => {
    const model = models.get(arch) as TitansModel;
    // Fresh stream: BOS + 32 tokens = 8 segments of 4 and one row that only predicts what comes next.
    const tokens = Int32Array.from({ length: 32 }, (_, i) => (i * 7) % 39);
    const whole = await runSplit(model, tokens, [], 2);
    const split = await runSplit(model, tokens, [13], 2);
    expect(whole.nll).toHaveLength(32);
    expect(whole.probs).toHaveLength(64);
    whole.nll.forEach((x, i) => expect(Math.abs(x - (split.nll[i] as number))).toBeLessThan(1e-4));
  });

  it.each(ARCHS)('%s: causal — a token’s surprise does not depend on later tokens', async (arch) => {
    const model = models.get(arch) as TitansModel;
    const a = Int32Array.from({ length: 14 }, (_, i) => (i * 5) % 39);
    const b = a.slice();
    b[9] = (b[9] as number) + 1;
    const [ra, rb] = [await runSplit(model, a, []), await runSplit(model, b, [])];
    expect(ra.nll.slice(0, 9)).toEqual(rb.nll.slice(0, 9));
    expect(ra.nll[9]).not.toBe(rb.nll[9]);
  });

  it('the memory carries context across segments (MAC, LMM): earlier segments change later surprise', async () => {
    for (const arch of ['mac', 'lmm'] as const) {
      // O(1) random weights make the effect visible; fixed slow forgetting keeps random gates from wiping the memory.
      const model = randomModel(tiny(arch, { memory: { forget: 0.001 } }), new SeededRandom(4));
      const tail = Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
      const withPrefix = async (first: number) => {
        const r = await runSplit(model, Int32Array.from([first, 9, 9, 9, 9, 9, 9, 9, ...tail]), []);
        return r.nll.slice(8);
      };
      const [x, y] = [await withPrefix(0), await withPrefix(30)];
      model.dispose();
      expect(Math.max(...x.map((v, i) => Math.abs(v - (y[i] as number))))).toBeGreaterThan(1e-3);
    }
  });

  it.each(ARCHS)('%s: exportState / importState continue exactly, and numTensors stays flat', async (arch) => {
    const model = models.get(arch) as TitansModel;
    const tokens = Int32Array.from({ length: 37 }, (_, i) => (i * 11) % 39);
    const reference = await runSplit(model, tokens, []);
    const a = model.stream();
    await a.process(tokens.subarray(0, 17));
    const snapshot = structuredClone(await a.exportState());
    a.dispose();
    const b = model.stream();
    b.importState(snapshot);
    const before = tf.memory().numTensors;
    const rest = await b.process(tokens.subarray(17));
    for (let i = 0; i < 5; i++) await b.process(tokens.subarray(i, i + 9));
    expect(tf.memory().numTensors).toBe(before);
    b.dispose();
    rest.nll.forEach((x, i) => expect(Math.abs(x - (reference.nll[17 + i] as number))).toBeLessThan(1e-4));
  });

  it('rejects bad snapshots and tokens with typed errors', async () => {
    const model = models.get('mag') as TitansModel;
    const s = model.stream();
    await s.process(Int32Array.from([1, 2, 3, 4, 5, 6, 7]));
    const snap = await s.exportState();
    await expect(s.process(Int32Array.from([1, 40]))).rejects.toMatchObject({ code: 'ERR_TOKEN' });
    expect(() => s.importState({ ...snap, version: 2 as 1 })).toThrow(/version/);
    expect(() => s.importState({ ...snap, arrays: snap.arrays.filter((x) => x.name !== 'l1.keys') })).toThrow(/l1\.keys/);
    const other = TitansModel.create(tiny('mag', { dim: 8 }));
    expect(() => other.stream().importState(snap)).toThrow(/configuration/);
    other.dispose();
    s.dispose();
  });

  it('numTensors stays flat over a long stream', async () => {
    const model = models.get('mac') as TitansModel;
    const s = model.stream();
    await s.process(Int32Array.from([1, 2, 3]));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) await s.process(Int32Array.from({ length: 1 + (i % 7) }, (_, j) => (i + j) % 39), { topK: 2 });
    expect(tf.memory().numTensors).toBe(before);
    expect(s.tokensSeen).toBeGreaterThan(150);
    s.dispose();
  });
});
