import { beforeAll, describe, expect, it } from 'vitest';
import { headRetrieve, initMemoryWeights, memoryChunk } from '../../../src/memory/index.js';
import type { ChunkGates, HeadWeights, MemoryNet, MemoryWeights } from '../../../src/memory/index.js';
import { memoryScan } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import type { Tensor2D } from '../../../src/tensor/index.js';

const baseNet: MemoryNet = { headDim: 6, hidden: 10, depth: 2, activation: 'silu', residual: false, norm: false, loss: { kind: 'l2' }, clipSurprise: null };

function unitRows(rng: SeededRandom, r: number, c: number): Tensor2D {
  const x = tf.tensor2d(rng.fillNormal(new Float32Array(r * c)), [r, c]);
  return tf.div(x, tf.norm(x, 2, 1, true));
}

function uniform(rng: SeededRandom, h: number, n: number, lo: number, hi: number): Tensor2D {
  return tf.tensor2d(Float32Array.from({ length: h * n }, () => lo + (hi - lo) * rng.next()), [h, n]);
}

const maxDiff = (a: tf.Tensor, b: tf.Tensor) => tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number);

/** Largest difference between two memories, weights and momentum. */
function weightsDiff(a: MemoryWeights, b: MemoryWeights): number {
  let worst = 0;
  a.forEach((head, h) => {
    const other = b[h] as HeadWeights;
    head.w.forEach((w, l) => (worst = Math.max(worst, maxDiff(w, other.w[l] as Tensor2D))));
    head.s.forEach((s, l) => (worst = Math.max(worst, maxDiff(s, other.s[l] as Tensor2D))));
  });
  return worst;
}

function setup(net: MemoryNet, seed: number, heads: number, n: number) {
  const rng = new SeededRandom(seed);
  const weights = initMemoryWeights(net, heads, rng.fork());
  const inputs = {
    keys: Array.from({ length: heads }, () => unitRows(rng, n, net.headDim)),
    values: Array.from({ length: heads }, () => tf.tensor2d(rng.fillNormal(new Float32Array(n * net.headDim)), [n, net.headDim])),
    queries: Array.from({ length: heads }, () => unitRows(rng, n, net.headDim)),
  };
  const gates: ChunkGates = { lr: uniform(rng, heads, n, 0.05, 0.4), momentum: uniform(rng, heads, n, 0.2, 0.9), forget: uniform(rng, heads, n, 0, 0.2) };
  return { weights, inputs, gates, rng };
}

describe('memoryScan', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  const cases: { name: string; net: Partial<MemoryNet> }[] = [
    { name: 'matrix memory', net: { depth: 1 } },
    { name: 'MLP, silu', net: {} },
    { name: 'depth 3, gelu, norm, residual, clipped', net: { depth: 3, activation: 'gelu', norm: true, residual: true, clipSurprise: 0.5 } },
    { name: 'relu, huber', net: { activation: 'relu', loss: { kind: 'huber', delta: 0.5 } } },
  ];

  it.each(cases)('token t reads the memory after tokens 1…t, and the end state is memoryChunk’s: $name', ({ net: o }) => {
    tf.tidy(() => {
      const net = { ...baseNet, ...o };
      const heads = 2;
      const n = 5;
      // Start from a memory with non-zero momentum: one chunk of updates first.
      const first = setup(net, 3, heads, n);
      const w0 = memoryChunk(net, first.weights, first.inputs, first.gates).weights;
      const { inputs, gates } = setup(net, 4, heads, n);
      const scan = memoryScan(net, w0, inputs, gates, true);
      const chunk = memoryChunk(net, w0, inputs, gates);
      expect(weightsDiff(chunk.weights, scan.weights as MemoryWeights)).toBeLessThan(1e-5);
      for (let t = 1; t <= n; t++) {
        const sub = <T extends tf.Tensor>(xs: readonly T[]) => xs.map((x) => tf.slice(x, [0, 0], [t, -1]) as T);
        const g = { lr: tf.slice(gates.lr, [0, 0], [heads, t]), momentum: tf.slice(gates.momentum, [0, 0], [heads, t]), forget: tf.slice(gates.forget, [0, 0], [heads, t]) };
        const wt = memoryChunk(net, w0, { keys: sub(inputs.keys), values: sub(inputs.values) }, g).weights;
        for (let h = 0; h < heads; h++) {
          const q = tf.slice(inputs.queries[h] as Tensor2D, [t - 1, 0], [1, -1]);
          const expected = headRetrieve(net, wt[h] as HeadWeights, q);
          const got = tf.slice(scan.retrievals[h] as Tensor2D, [t - 1, 0], [1, -1]);
          expect(maxDiff(got, expected)).toBeLessThan(2e-5);
        }
      }
    });
  });

  it('is causal: changing token j changes no retrieval before j', () => {
    tf.tidy(() => {
      const n = 6;
      const { weights, inputs, gates, rng } = setup(baseNet, 5, 1, n);
      const a = memoryScan(baseNet, weights, inputs, gates, false).retrievals[0] as Tensor2D;
      const keys = [tf.concat([tf.slice(inputs.keys[0] as Tensor2D, [0, 0], [3, -1]), unitRows(rng, n - 3, baseNet.headDim)])];
      const b = memoryScan(baseNet, weights, { ...inputs, keys }, gates, false).retrievals[0] as Tensor2D;
      expect(maxDiff(tf.slice(a, 0, 3), tf.slice(b, 0, 3))).toBe(0);
      expect(maxDiff(tf.slice(a, 3, 3), tf.slice(b, 3, 3))).toBeGreaterThan(1e-4);
    });
  });

  it('handles exact gate edges: α = 1 wipes, η = 0 drops momentum, θ = 0 freezes', () => {
    tf.tidy(() => {
      const n = 4;
      const { weights, inputs } = setup(baseNet, 6, 1, n);
      const frozen = memoryScan(baseNet, weights, inputs, { lr: tf.zeros([1, n]), momentum: tf.zeros([1, n]), forget: tf.zeros([1, n]) }, true);
      const expected = headRetrieve(baseNet, weights[0] as HeadWeights, inputs.queries[0] as Tensor2D);
      expect(maxDiff(frozen.retrievals[0] as Tensor2D, expected)).toBeLessThan(1e-6);
      const edges = { lr: tf.fill([1, n], 0.3) as Tensor2D, momentum: tf.zeros([1, n]) as Tensor2D, forget: tf.ones([1, n]) as Tensor2D };
      const scan = memoryScan(baseNet, weights, inputs, edges, true);
      const chunk = memoryChunk(baseNet, weights, inputs, edges);
      expect(weightsDiff(chunk.weights, scan.weights as MemoryWeights)).toBeLessThan(1e-6);
      expect(tf.all(tf.isFinite(tf.concat(scan.retrievals))).dataSync()[0]).toBe(1);
    });
  });

  it('is differentiable in the weights, inputs and gates (tf.grad matches finite differences)', () => {
    tf.tidy(() => {
      const n = 4;
      const { weights, inputs, gates, rng } = setup(baseNet, 7, 1, n);
      const probe = tf.tensor2d(rng.fillNormal(new Float32Array(n * baseNet.headDim)), [n, baseNet.headDim]);
      const head = weights[0] as HeadWeights;
      const f = (w0: tf.Tensor, v: tf.Tensor, lr: tf.Tensor) => {
        const w = [{ w: [w0 as Tensor2D, head.w[1] as Tensor2D], s: head.s }];
        const s = memoryScan(baseNet, w, { ...inputs, values: [v as Tensor2D] }, { ...gates, lr: lr as Tensor2D }, true);
        return tf.add(tf.sum(tf.mul(s.retrievals[0] as Tensor2D, probe)), tf.sum(tf.square((s.weights as HeadWeights[])[0]?.w[0] as Tensor2D)));
      };
      const xs = [head.w[0] as Tensor2D, inputs.values[0] as Tensor2D, gates.lr];
      const grads = tf.grads(f)(xs);
      xs.forEach((x, i) => {
        const dir = tf.randomNormal(x.shape, 0, 1, 'float32', 11 + i);
        const eps = 1e-2;
        const at = (s: number) => (f(...(xs.map((y, j) => (j === i ? tf.add(y, tf.mul(dir, s)) : y)) as [tf.Tensor, tf.Tensor, tf.Tensor])).dataSync()[0] as number);
        const numeric = (at(eps) - at(-eps)) / (2 * eps);
        const analytic = tf.sum(tf.mul(grads[i] as tf.Tensor, dir)).dataSync()[0] as number;
        expect(Math.abs(numeric - analytic)).toBeLessThan(1e-2 * Math.max(1, Math.abs(analytic)));
      });
    });
  });
});
