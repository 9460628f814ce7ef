import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ARCHS, disposeState, forwardSegment, initialState, stateTensors } from '../../../src/model/index.js';
import type { Arch, ModelState, TitansModel, TitansModelConfig } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import { randomModel } from './random-model.js';

const tiny = (arch: Arch): TitansModelConfig => ({ arch, vocabSize: 40, bosId: 39, dim: 16, layers: 2, heads: 2, segment: 4, window: 6, persistent: 2, seed: 3, ...(arch === 'lmm' ? { memory: { depth: 1 } } : {}) });

/**
 * The stream's outputs computed the plain way: BOS and the tokens in segments through
 * `forwardSegment` (the training forward: embedding by one-hot matmul, every derived tensor
 * computed inline, logits per segment), row t − 1 scoring token t.
 */
function referenceNll(model: TitansModel, tokens: Int32Array): number[] {
  const { config } = model;
  const all = Int32Array.from([config.bosId, ...tokens]);
  let state: ModelState = initialState(config, model.tensors, 1);
  const rows: number[][] = [];
  for (let a = 0; a < all.length; a += config.segment) {
    const e = Math.min(a + config.segment, all.length);
    const update = e - a === config.segment;
    let next: ModelState | undefined;
    tf.tidy(() => {
      const out = forwardSegment(config, model.tensors, state, tf.tensor1d(all.subarray(a, e), 'int32'), update);
      if (out.state) stateTensors(out.state).forEach((t) => tf.keep(t));
      next = out.state;
      rows.push(...(tf.logSoftmax(out.logits).arraySync() as number[][]));
    });
    const after = next as ModelState | undefined;
    if (after) {
      disposeState(state);
      state = after;
    }
  }
  disposeState(state);
  return Array.from(tokens, (t, i) => -((rows[i] as number[])[t] as number));
}

async function streamNll(model: TitansModel, tokens: Int32Array, cuts: number[], topK = 0): Promise<number[]> {
  const stream = model.stream();
  const nll: number[] = [];
  let start = 0;
  for (const end of [...cuts, tokens.length]) {
    nll.push(...(await stream.process(tokens.subarray(start, end), { topK })).nll);
    start = end;
  }
  stream.dispose();
  return nll;
}

function expectClose(got: readonly number[], want: readonly number[]): void {
  expect(got).toHaveLength(want.length);
  got.forEach((x, i) => expect(Math.abs(x - (want[i] as number))).toBeLessThanOrEqual(1e-5 * Math.max(1, Math.abs(want[i] as number))));
}

describe('streaming inference with per-model constants', () => {
  const models = new Map<Arch, TitansModel>();
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
    for (const arch of ARCHS) models.set(arch, randomModel(tiny(arch), new SeededRandom(11)));
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  const tokens = Int32Array.from({ length: 45 }, (_, i) => (i * 7 + 3) % 39);

  it.each(ARCHS)('%s: matches the plain forwardSegment loop, with and without top-k, split so that calls end one token into a segment', async (arch) => {
    const model = models.get(arch) as TitansModel;
    const want = referenceNll(model, tokens);
    // BOS + 8 and BOS + 24 tokens end one token into a segment of 4 (the skipped trailing row).
    for (const cuts of [[], [8, 24], [1, 2, 3, 4, 5], [20]]) {
      expectClose(await streamNll(model, tokens, cuts), want);
      expectClose(await streamNll(model, tokens, cuts, 2), want);
    }
  });

  it('exportState gives the same prediction after a call whose trailing row was skipped', async () => {
    const model = models.get('mac') as TitansModel;
    const [a, b] = [model.stream(), model.stream()];
    await a.process(tokens.subarray(0, 8)); // BOS + 8 = two segments and one token: the last row is skipped
    await b.process(tokens.subarray(0, 8), { topK: 1 }); // not skipped
    const [sa, sb] = [await a.exportState(), await b.exportState()];
    a.dispose();
    b.dispose();
    expect(sa.arrays.map((x) => x.name)).toEqual(sb.arrays.map((x) => x.name));
    expect(sa.arrays.some((x) => x.name === 'next')).toBe(true);
    sa.arrays.forEach((x, i) => expectClose(Array.from(x.data), Array.from(sb.arrays[i]?.data ?? [])));
  });

  it('follows weight updates: constants are rebuilt when a weight is assigned, with no tensor left behind', async () => {
    const model = randomModel(tiny('mac'), new SeededRandom(12));
    const before = await streamNll(model, tokens, []);
    const count = tf.memory().numTensors;
    tf.tidy(() => {
      model.weights['embed']?.assign(tf.mul(model.weights['embed'] as tf.Variable, 1.5));
      model.weights['layers.0.attn.qkv']?.assign(tf.mul(model.weights['layers.0.attn.qkv'] as tf.Variable, 0.5));
    });
    const after = await streamNll(model, tokens, [9]);
    expect(tf.memory().numTensors).toBe(count);
    expectClose(after, referenceNll(model, tokens));
    expect(Math.max(...after.map((x, i) => Math.abs(x - (before[i] as number))))).toBeGreaterThan(1e-3);
    model.dispose();
  });
});
