import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TitansModel, disposeState, lossAndGradients, sequenceLoss, stateTensors } from '../../../src/model/index.js';
import type { Arch } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import type { Tensor } from '../../../src/tensor/index.js';
import { randomModel } from './random-model.js';

const tinyConfig = (arch: Arch) => ({ arch, vocabSize: 12, bosId: 11, dim: 8, layers: 1, heads: 2, segment: 4, window: 5, persistent: 2, memory: { heads: 2, depth: 2 }, seed: 5 });
const tinyModel = (arch: Arch) => TitansModel.create(tinyConfig(arch));

describe('outer-loop gradients', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  const models: TitansModel[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  it.each(['mac', 'mag', 'mal', 'lmm', 'swa'] as const)('%s: tf.grad through the memory updates matches finite differences', (arch) => {
    const rng = new SeededRandom(9);
    const model = randomModel(tinyConfig(arch), rng);
    models.push(model);
    const batch = 2;
    const tokens = Int32Array.from({ length: batch * 12 }, () => rng.nextInt(11)); // 3 segments per sequence
    const w = model.tensors;
    const { loss, grads } = lossAndGradients(model.config, w, tokens, batch);
    const lossAt = (name: string, dir: Tensor, eps: number) =>
      tf.tidy(() => {
        const shifted = { ...w, [name]: tf.add(w[name] as Tensor, tf.mul(dir, eps)) };
        return sequenceLoss(model.config, shifted, tokens, batch).dataSync()[0] as number;
      });
    let checked = 0;
    for (const name of Object.keys(w)) {
      const g = grads[name] as Tensor;
      // A random unit direction in this weight's space.
      const dir = tf.tidy(() => {
        const d = tf.tensor(rng.fillNormal(new Float32Array(g.size)), g.shape);
        return tf.div(d, tf.norm(d));
      });
      const analytic = tf.tidy(() => tf.sum(tf.mul(g, dir)).dataSync()[0] as number);
      // Central differences at ε and ε/2, Richardson-extrapolated (error O(ε⁴) plus float32 rounding of the loss).
      const central = (eps: number) => (lossAt(name, dir, eps) - lossAt(name, dir, -eps)) / (2 * eps);
      const eps = 1e-2;
      const numeric = (4 * central(eps / 2) - central(eps)) / 3;
      expect(Math.abs(numeric - analytic), `${name}: analytic ${analytic}, numeric ${numeric}`).toBeLessThan(1e-2 * Math.abs(analytic) + 2e-4);
      if (Math.abs(analytic) > 1e-3) checked++;
      dir.dispose();
    }
    // The check is not vacuous: most weights have a clearly non-zero directional derivative.
    expect(checked).toBeGreaterThan(Object.keys(w).length / 2);
    tf.dispose([loss, ...Object.values(grads)]);
  });

  it.each(['mac', 'mal'] as const)('%s: recomputation gives the same loss and gradients as full backpropagation', (arch) => {
    const model = tinyModel(arch);
    models.push(model);
    const tokens = Int32Array.from({ length: 3 * 16 }, (_, i) => (i * 5 + 1) % 11);
    const full = lossAndGradients(model.config, model.tensors, tokens, 3);
    const before = tf.memory().numTensors;
    const re = lossAndGradients(model.config, model.tensors, tokens, 3, { recompute: true });
    expect(tf.memory().numTensors - before).toBe(1 + Object.keys(re.grads).length);
    expect(re.loss.dataSync()[0]).toBeCloseTo(full.loss.dataSync()[0] as number, 5);
    for (const name of Object.keys(full.grads)) {
      const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(full.grads[name] as Tensor, re.grads[name] as Tensor))).dataSync()[0] as number);
      expect(diff, name).toBeLessThan(1e-6);
    }
    tf.dispose([full.loss, re.loss, ...Object.values(full.grads), ...Object.values(re.grads)]);
  });

  it.each(['mag', 'mac', 'lmm'] as const)('%s: continuing carried streams window by window gives the loss of the whole sequences; recomputation agrees', (arch) => {
    const model = randomModel(tinyConfig(arch), new SeededRandom(3));
    models.push(model);
    const before = tf.memory().numTensors;
    const tokens = Int32Array.from({ length: 2 * 16 }, (_, i) => (i * 7 + 3) % 11);
    const half = (from: number) => Int32Array.from({ length: 16 }, (_, i) => tokens[Math.floor(i / 8) * 16 + from + (i % 8)] as number);
    const whole = tf.tidy(() => sequenceLoss(model.config, model.tensors, tokens, 2).dataSync()[0] as number);
    for (const recompute of [false, true]) {
      const first = lossAndGradients(model.config, model.tensors, half(0), 2, { carry: true, recompute });
      if (!first.state) throw new Error('no carried state');
      expect(first.state.position).toBe(8);
      const previous = Int32Array.of(tokens[7] as number, tokens[23] as number);
      const second = lossAndGradients(model.config, model.tensors, half(8), 2, { start: { state: first.state, previous }, carry: true, recompute });
      const mean = ((first.loss.dataSync()[0] as number) + (second.loss.dataSync()[0] as number)) / 2;
      expect(mean).toBeCloseTo(whole, 5);
      expect(stateTensors(first.state).every((t) => !t.isDisposed)).toBe(true); // the caller's state is left alone
      tf.dispose([first.loss, second.loss, ...Object.values(first.grads), ...Object.values(second.grads)]);
      disposeState(first.state);
      if (second.state) disposeState(second.state);
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(() => lossAndGradients(model.config, model.tensors, half(0), 2, { start: { state: { batch: 1, position: 0, cached: 0, layers: [] }, previous: Int32Array.of(1) } })).toThrow(/2 sequences/);
  });

  it('target weights: all 2 give the plain mean; one weight picks that token\'s nll as a stream reads it; recomputation agrees', async () => {
    const model = randomModel(tinyConfig('mac'), new SeededRandom(4));
    models.push(model);
    const tokens = Int32Array.from({ length: 2 * 8 }, (_, i) => (i * 5 + 2) % 11);
    const value = (weights?: Float32Array, recompute = false) => {
      const r = lossAndGradients(model.config, model.tensors, tokens, 2, { recompute, ...(weights ? { weights } : {}) });
      const v = r.loss.dataSync()[0] as number;
      tf.dispose([r.loss, ...Object.values(r.grads)]);
      return v;
    };
    expect(value(new Float32Array(16).fill(2))).toBeCloseTo(value(), 6);
    // Token 13 is the second sequence's 6th: its nll as a fresh stream reads that sequence.
    const stream = model.stream();
    const { nll } = await stream.process(tokens.subarray(8, 16));
    stream.dispose();
    const one = new Float32Array(16);
    one[13] = 3;
    expect(value(one)).toBeCloseTo(nll[5] as number, 4);
    expect(value(one, true)).toBeCloseTo(nll[5] as number, 4);
    // Weights change the gradient, not only its scale.
    const g = (weights?: Float32Array) => lossAndGradients(model.config, model.tensors, tokens, 2, weights ? { weights } : {});
    const [plain, picked] = [g(), g(one)];
    const cosine = tf.tidy(() => {
      const [a, b] = [plain, picked].map((r) => tf.concat(Object.values(r.grads).map((t) => t.flatten())));
      return tf.div(tf.sum(tf.mul(a!, b!)), tf.mul(tf.norm(a!), tf.norm(b!))).dataSync()[0] as number;
    });
    expect(cosine).toBeLessThan(0.9);
    tf.dispose([plain.loss, picked.loss, ...Object.values(plain.grads), ...Object.values(picked.grads)]);
    expect(() => value(new Float32Array(16))).toThrow(/every target weight is 0/);
    expect(() => value(new Float32Array(15).fill(1))).toThrow(/15 target weights for 16 tokens/);
    expect(() => value(new Float32Array(16).fill(-1))).toThrow(/target weight -1 at index 0/);
  });

  it('rejects a length that is not a multiple of the segment, and tokens outside the vocabulary', () => {
    const model = tinyModel('lmm');
    models.push(model);
    expect(() => lossAndGradients(model.config, model.tensors, new Int32Array(10), 2)).toThrow(/multiple of the segment 4/);
    expect(() => lossAndGradients(model.config, model.tensors, Int32Array.of(1, 2, 3, 12), 1)).toThrow(/token 12 at index 3/);
  });
});
