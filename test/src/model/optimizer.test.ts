import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW, clipByGlobalNorm, learningRate, sampleBatch } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

describe('optimizer pieces', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('learningRate: linear warm-up to the peak, cosine down to the floor', () => {
    const s = { peak: 1, warmup: 4, total: 14, minRatio: 0.1 };
    expect([0, 1, 2, 3].map((i) => learningRate(s, i))).toEqual([0.25, 0.5, 0.75, 1]);
    expect(learningRate(s, 4)).toBeCloseTo(1, 10);
    expect(learningRate(s, 9)).toBeCloseTo(0.55, 10); // half-way: 0.1 + 0.9·½
    expect(learningRate(s, 14)).toBeCloseTo(0.1, 10);
    expect(learningRate(s, 100)).toBeCloseTo(0.1, 10);
    for (let i = 4; i < 14; i++) expect(learningRate(s, i + 1)).toBeLessThan(learningRate(s, i));
  });

  it('AdamW matches a naive float64 implementation, decaying matrices only', () => {
    const w = tf.variable(tf.tensor2d([[0.5, -1]]));
    const b = tf.variable(tf.tensor1d([0.25]));
    const opt = new AdamW({ w, b }, { beta1: 0.8, beta2: 0.9, epsilon: 1e-8, weightDecay: 0.5 });
    const ref = { w: [0.5, -1], b: [0.25], m: { w: [0, 0], b: [0] }, v: { w: [0, 0], b: [0] } };
    const gradsAt = (t: number) => ({ w: [0.1 * t, -0.3], b: [0.2 / t] });
    for (let t = 1; t <= 4; t++) {
      const g = gradsAt(t);
      const lr = 0.1 / t;
      const grads = { w: tf.tensor2d([g.w]), b: tf.tensor1d(g.b) };
      opt.apply(grads, lr);
      tf.dispose(Object.values(grads));
      for (const key of ['w', 'b'] as const) {
        ref[key] = ref[key].map((p, i) => {
          const gi = g[key][i] as number;
          ref.m[key][i] = 0.8 * (ref.m[key][i] as number) + 0.2 * gi;
          ref.v[key][i] = 0.9 * (ref.v[key][i] as number) + 0.1 * gi * gi;
          const mh = (ref.m[key][i] as number) / (1 - 0.8 ** t);
          const vh = (ref.v[key][i] as number) / (1 - 0.9 ** t);
          return p - lr * (mh / (Math.sqrt(vh) + 1e-8) + (key === 'w' ? 0.5 * p : 0));
        });
      }
    }
    expect(opt.step).toBe(4);
    Array.from(w.dataSync()).forEach((x, i) => expect(x).toBeCloseTo(ref.w[i] as number, 5));
    expect(b.dataSync()[0]).toBeCloseTo(ref.b[0] as number, 5);
    expect(() => opt.apply({ w: tf.zeros([1, 2]) }, 0.1)).toThrow(/gradient of "b"/);
    opt.dispose();
    tf.dispose([w, b]);
  });

  it('AdamW state export / import continues identically', async () => {
    const run = async (restore: boolean) => {
      const p = tf.variable(tf.tensor2d([[1, 2]]));
      let opt = new AdamW({ p });
      const g = { p: tf.tensor2d([[0.3, -0.1]]) };
      opt.apply(g, 0.1);
      if (restore) {
        const saved = structuredClone(await opt.exportState());
        opt.dispose();
        opt = new AdamW({ p });
        opt.importState(saved);
      }
      opt.apply(g, 0.1);
      const out = Array.from(p.dataSync());
      opt.dispose();
      tf.dispose([p, g.p]);
      return out;
    };
    expect(await run(true)).toEqual(await run(false));
  });

  it('clipByGlobalNorm scales all gradients together, only above the limit', () => {
    tf.tidy(() => {
      const grads = { a: tf.tensor1d([3, 0]), b: tf.tensor2d([[0, 4]]) };
      const c = clipByGlobalNorm(grads, 1);
      expect(c.norm.dataSync()[0]).toBeCloseTo(5, 5);
      expect(Array.from(c.grads['a']?.dataSync() ?? [])).toEqual([expect.closeTo(0.6, 5), 0]);
      expect(Array.from(c.grads['b']?.dataSync() ?? [])).toEqual([0, expect.closeTo(0.8, 5)]);
      const loose = clipByGlobalNorm(grads, 10);
      expect(Array.from(loose.grads['a']?.dataSync() ?? [])).toEqual([3, 0]);
    });
  });

  it('sampleBatch draws reproducible crops', () => {
    const data = Int32Array.from({ length: 50 }, (_, i) => i);
    const a = sampleBatch(data, 3, 10, new SeededRandom(1));
    expect(sampleBatch(data, 3, 10, new SeededRandom(1))).toEqual(a);
    for (let b = 0; b < 3; b++) {
      const row = a.subarray(b * 10, b * 10 + 10);
      row.forEach((x, i) => expect(x).toBe((row[0] as number) + i));
    }
    expect(() => sampleBatch(data, 1, 51, new SeededRandom(1))).toThrow(/fewer than one sequence/);
  });

  it('sampleBatch with align starts every crop at a multiple of it, and reaches the last whole one', () => {
    const data = Int32Array.from({ length: 50 }, (_, i) => i);
    const firsts = new Set<number>();
    const rng = new SeededRandom(2);
    for (let i = 0; i < 200; i++) {
      const crops = sampleBatch(data, 2, 10, rng, 10);
      firsts.add(crops[0] as number).add(crops[10] as number);
    }
    expect([...firsts].sort((a, b) => a - b)).toEqual([0, 10, 20, 30, 40]);
  });
});
