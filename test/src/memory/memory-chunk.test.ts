import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '../../../src/tensor/index.js';
import { tidy } from '../../../src/memory/tidy.js';
import type { Tensor2D } from '../../../src/tensor/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import {
  chunkCoefficients,
  headGradients,
  headPass,
  headRetrieve,
  initMemoryWeights,
  memoryChunk,
  swapOrientation,
} from '../../../src/memory/index.js';
import type { Activation, ChunkGates, HeadWeights, MemoryLoss, MemoryNet, MemoryWeights } from '../../../src/memory/index.js';

// ---------------------------------------------------------------------------------------------
// Naive reference: plain float64 JS, one token at a time, canonical W_l [in × out] orientation.
// ---------------------------------------------------------------------------------------------
type Mat = { rows: number; cols: number; d: Float64Array };
const mat = (rows: number, cols: number, d = new Float64Array(rows * cols)): Mat => ({ rows, cols, d });
const get = (m: Mat, i: number, j: number) => m.d[i * m.cols + j] as number;

function act(kind: Activation, z: number): [number, number] {
  switch (kind) {
    case 'silu': {
      const s = 1 / (1 + Math.exp(-z));
      return [z * s, s * (1 + z * (1 - s))];
    }
    case 'relu':
      return [Math.max(z, 0), z > 0 ? 1 : 0];
    case 'tanh': {
      const t = Math.tanh(z);
      return [t, 1 - t * t];
    }
    case 'gelu': {
      const c = Math.sqrt(2 / Math.PI);
      const u = c * (z + 0.044715 * z ** 3);
      const t = Math.tanh(u);
      return [0.5 * z * (1 + t), 0.5 * (1 + t) + 0.5 * z * (1 - t * t) * c * (1 + 3 * 0.044715 * z * z)];
    }
  }
}

function lossAndGrad(loss: MemoryLoss, r: number): [number, number] {
  switch (loss.kind) {
    case 'l2':
      return [r * r, 2 * r];
    case 'huber':
      return Math.abs(r) <= loss.delta ? [r * r, 2 * r] : [2 * loss.delta * Math.abs(r) - loss.delta ** 2, 2 * loss.delta * Math.sign(r)];
    case 'lp':
      return [Math.abs(r) ** loss.p, loss.p * Math.abs(r) ** (loss.p - 1) * Math.sign(r)];
  }
}

/** Loss, per-layer gradients (canonical [in × out]) and retrieval for one vector, weights W. */
function refToken(net: MemoryNet, W: Mat[], k: number[], v: number[]) {
  const a: number[][] = [k];
  const dz: number[][] = [];
  let z: number[] = [];
  for (let l = 0; l < net.depth; l++) {
    const w = W[l] as Mat;
    const x = a[l] as number[];
    z = Array.from({ length: w.cols }, (_, j) => x.reduce((s, xi, i) => s + xi * get(w, i, j), 0));
    if (l < net.depth - 1) {
      a.push(z.map((zi) => act(net.activation, zi)[0]));
      dz.push(z.map((zi) => act(net.activation, zi)[1]));
    }
  }
  let y = z;
  const n = z.length;
  let mean = 0;
  let inv = 1;
  if (net.norm) {
    mean = z.reduce((s, x) => s + x, 0) / n;
    const variance = z.reduce((s, x) => s + (x - mean) ** 2, 0) / n;
    inv = 1 / Math.sqrt(variance + 1e-5);
    y = z.map((x) => (x - mean) * inv);
  }
  const yn = y;
  if (net.residual) y = y.map((x, i) => x + (k[i] as number));
  let loss = 0;
  let g = y.map((yi, i) => {
    const [l, dl] = lossAndGrad(net.loss, yi - (v[i] as number));
    loss += l;
    return dl;
  });
  if (net.norm) {
    const gm = g.reduce((s, x) => s + x, 0) / n;
    const gn = g.reduce((s, x, i) => s + x * (yn[i] as number), 0) / n;
    g = g.map((x, i) => inv * (x - gm - (yn[i] as number) * gn));
  }
  const grads: Mat[] = new Array<Mat>(net.depth);
  let delta = g;
  for (let l = net.depth - 1; l >= 0; l--) {
    const x = a[l] as number[];
    const gw = mat(x.length, delta.length);
    for (let i = 0; i < x.length; i++) for (let j = 0; j < delta.length; j++) gw.d[i * delta.length + j] = (x[i] as number) * (delta[j] as number);
    grads[l] = gw;
    if (l > 0) {
      const w = W[l] as Mat;
      const back = Array.from({ length: w.rows }, (_, i) => delta.reduce((s, dj, j) => s + dj * get(w, i, j), 0));
      delta = back.map((b, i) => b * ((dz[l - 1] as number[])[i] as number));
    }
  }
  return { loss, grads, y };
}

function refRetrieve(net: MemoryNet, W: Mat[], q: number[]): number[] {
  return refToken(net, W, q, new Array<number>(q.length).fill(0)).y;
}

interface RefHead { W: Mat[]; S: Mat[] }

/** Explicit per-token recurrences over one chunk; all gradients at the chunk-start weights. */
function refChunk(net: MemoryNet, heads: RefHead[], k: number[][][], v: number[][][], q: number[][][], theta: number[][], eta: number[][], alpha: number[][]) {
  const C = (k[0] as number[][]).length;
  const loss = new Array<number>(C).fill(0);
  const surpriseSq = new Array<number>(C).fill(0);
  const retrievals: number[][][] = [];
  const next = heads.map((head, h) => {
    const W0 = head.W;
    retrievals.push((q[h] as number[][]).map((qt) => refRetrieve(net, W0, qt)));
    let M = W0.map((w) => mat(w.rows, w.cols, w.d.slice()));
    let S = head.S.map((s) => mat(s.rows, s.cols, s.d.slice()));
    for (let t = 0; t < C; t++) {
      const r = refToken(net, W0, (k[h] as number[][])[t] as number[], (v[h] as number[][])[t] as number[]);
      loss[t] = (loss[t] as number) + r.loss;
      const norm2 = r.grads.reduce((s, g) => s + g.d.reduce((a, x) => a + x * x, 0), 0);
      surpriseSq[t] = (surpriseSq[t] as number) + norm2;
      const scale = net.clipSurprise !== null ? Math.min(1, net.clipSurprise / Math.sqrt(norm2)) : 1;
      const th = (theta[h] as number[])[t] as number;
      const et = (eta[h] as number[])[t] as number;
      const al = (alpha[h] as number[])[t] as number;
      S = S.map((s, l) => mat(s.rows, s.cols, s.d.map((x, i) => et * x - th * scale * ((r.grads[l] as Mat).d[i] as number))));
      M = M.map((m, l) => mat(m.rows, m.cols, m.d.map((x, i) => (1 - al) * x + ((S[l] as Mat).d[i] as number))));
    }
    return { W: M, S };
  });
  return { heads: next, loss, surprise: surpriseSq.map(Math.sqrt), retrievals };
}

// ---------------------------------------------------------------------------------------------
// Conversions between the reference and the stacked, oriented storage.
// ---------------------------------------------------------------------------------------------
function toRef(net: MemoryNet, weights: MemoryWeights): RefHead[] {
  const canon = (t: tf.Tensor2D, l: number): Mat => {
    const c = tf.tidy(() => tf.clone(swapOrientation(net, t, l)));
    const m = mat(c.shape[0], c.shape[1], Float64Array.from(c.dataSync()));
    c.dispose();
    return m;
  };
  return weights.map((head) => ({ W: head.w.map(canon), S: head.s.map(canon) }));
}

const keepHeads = (ws: MemoryWeights): HeadWeights[] => ws.map((h) => ({ w: h.w.map((t) => tf.keep(t)), s: h.s.map((t) => tf.keep(t)) }));
const disposeHeads = (ws: MemoryWeights) => ws.forEach((h) => tf.dispose([...h.w, ...h.s]));

function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let num = 0;
  let den = 0;
  for (let i = 0; i < b.length; i++) {
    num += ((a[i] as number) - (b[i] as number)) ** 2;
    den += (b[i] as number) ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

const flat = (xs: number[][]) => xs.flat();
const flatW = (heads: RefHead[]) => heads.flatMap((h) => [...h.W, ...h.S].flatMap((m) => Array.from(m.d)));

function randn(rng: SeededRandom, rows: number, cols: number, scale = 1): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => rng.normal(0, scale)));
}
function unit(rows: number[][]): number[][] {
  return rows.map((r) => {
    const n = Math.hypot(...r) || 1;
    return r.map((x) => x / n);
  });
}
function uniform(rng: SeededRandom, rows: number, cols: number, lo: number, hi: number): number[][] {
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => lo + (hi - lo) * rng.next()));
}

function makeNet(overrides: Partial<MemoryNet>): MemoryNet {
  return { headDim: 6, hidden: 10, depth: 2, activation: 'silu', residual: false, norm: false, loss: { kind: 'l2' }, clipSurprise: null, ...overrides };
}

interface Case { name: string; net: Partial<MemoryNet> }
const cases: Case[] = [];
for (const depth of [1, 2, 3]) {
  for (const residual of [false, true]) {
    for (const loss of [{ kind: 'l2' }, { kind: 'huber', delta: 0.3 }] as MemoryLoss[]) {
      cases.push({ name: `depth ${depth}, residual ${residual}, ${loss.kind}`, net: { depth, residual, loss } });
    }
  }
}
cases.push(
  { name: 'depth 2, norm + residual, lp 1.5', net: { depth: 2, residual: true, norm: true, loss: { kind: 'lp', p: 1.5 } } },
  { name: 'depth 2, relu', net: { depth: 2, activation: 'relu' } },
  { name: 'depth 2, gelu', net: { depth: 2, activation: 'gelu' } },
  { name: 'depth 3, tanh, norm', net: { depth: 3, activation: 'tanh', norm: true } },
  { name: 'depth 2, surprise clipping', net: { depth: 2, clipSurprise: 0.5 } },
);

describe.each(['wasm', 'cpu'] as const)('memoryChunk on %s', (backend) => {
  beforeAll(async () => {
    await initBackend({ backend });
  });

  it.each(cases)('(a) matches the naive per-token recurrence: $name', ({ net: overrides }) => {
    const net = makeNet(overrides);
    const H = 2;
    const C = 5;
    const rng = new SeededRandom(`${backend}:${JSON.stringify(overrides)}`);
    let weights: MemoryWeights = initMemoryWeights(net, H, rng);
    let ref = toRef(net, weights);
    for (let chunk = 0; chunk < 3; chunk++) {
      const k = Array.from({ length: H }, () => unit(randn(rng, C, net.headDim)));
      const v = Array.from({ length: H }, () => randn(rng, C, net.headDim, 0.7));
      const q = Array.from({ length: H }, () => unit(randn(rng, C, net.headDim)));
      const theta = uniform(rng, H, C, 0, 0.3);
      const eta = uniform(rng, H, C, 0.2, 0.95);
      const alpha = uniform(rng, H, C, 0, 0.2);
      const expected = refChunk(net, ref, k, v, q, theta, eta, alpha);
      const got = tidy(() => {
        const t = (xs: number[][][]) => xs.map((x) => tf.tensor2d(x));
        const gates: ChunkGates = { lr: tf.tensor2d(theta), momentum: tf.tensor2d(eta), forget: tf.tensor2d(alpha) };
        const r = memoryChunk(net, weights, { keys: t(k), values: t(v), queries: t(q) }, gates);
        return {
          loss: r.loss.arraySync(),
          surprise: (r.surprise as tf.Tensor1D).arraySync(),
          retrievals: (r.retrievals as Tensor2D[]).map((x) => x.arraySync()),
          weights: keepHeads(r.weights),
        };
      });
      expect(relErr(got.loss, expected.loss)).toBeLessThan(1e-4);
      expect(relErr(got.surprise, expected.surprise)).toBeLessThan(1e-4);
      expect(relErr(got.retrievals.flatMap(flat), expected.retrievals.flatMap(flat))).toBeLessThan(1e-4);
      const gotRef = toRef(net, got.weights);
      expect(relErr(flatW(gotRef), flatW(expected.heads))).toBeLessThan(1e-4);
      disposeHeads(weights);
      weights = got.weights;
      ref = expected.heads; // continue from the reference state so errors cannot compound
    }
    disposeHeads(weights);
  });
});


/** Plain tf forward with canonical W_l [in × out], for tf.grad. */
function tfLoss(net: MemoryNet, W: tf.Tensor2D[], k: tf.Tensor2D, v: tf.Tensor2D): tf.Tensor1D {
  let a: tf.Tensor2D = k;
  let z: tf.Tensor2D = k;
  W.forEach((w, l) => {
    z = tf.matMul(a, w);
    if (l < W.length - 1) {
      switch (net.activation) {
        case 'silu': a = tf.mul(z, tf.sigmoid(z)); break;
        case 'relu': a = tf.relu(z); break;
        case 'tanh': a = tf.tanh(z); break;
        case 'gelu': {
          const u = tf.mul(tf.add(z, tf.mul(tf.pow(z, 3), 0.044715)), Math.sqrt(2 / Math.PI));
          a = tf.mul(tf.mul(z, 0.5), tf.add(1, tf.tanh(u)));
        }
      }
    }
  });
  let y = z;
  if (net.norm) {
    const c = tf.sub(y, tf.mean(y, 1, true));
    y = tf.mul(c, tf.rsqrt(tf.add(tf.mean(tf.square(c), 1, true), 1e-5)));
  }
  if (net.residual) y = tf.add(y, k);
  const r = tf.sub(y, v);
  switch (net.loss.kind) {
    case 'l2': return tf.sum(tf.square(r), 1);
    case 'huber': {
      const d = net.loss.delta;
      const m = tf.minimum(tf.abs(r), d); // h = m² + 2δ(|r| − m)
      return tf.sum(tf.add(tf.square(m), tf.mul(tf.sub(tf.abs(r), m), 2 * d)), 1);
    }
    case 'lp': return tf.sum(tf.pow(tf.abs(r), net.loss.p), 1);
  }
}

/** Canonical [in × out] weights of one head. */
function canonical(net: MemoryNet, head: HeadWeights): tf.Tensor2D[] {
  return head.w.map((t, l) => swapOrientation(net, t, l));
}

describe('analytic memory gradients (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it.each(cases)('(b) equal tf.grad of the weighted loss and its per-token norms: $name', ({ net: overrides }) => {
    const net = makeNet(overrides);
    const C = 7;
    const rng = new SeededRandom(`grad:${JSON.stringify(overrides)}`);
    tf.tidy(() => {
      const head = initMemoryWeights(net, 1, rng)[0] as HeadWeights;
      const W = canonical(net, head);
      const k = tf.tensor2d(unit(randn(rng, C, net.headDim)));
      const v = tf.tensor2d(randn(rng, C, net.headDim, 0.7));
      const tw = tf.tensor2d([Array.from({ length: C }, () => rng.normal())]);
      const pass = headPass(net, head, k, v, true);
      const analytic = headGradients(net, pass, [tw]).map(([g], l) => swapOrientation(net, g as tf.Tensor2D, l));
      const auto = tf.grads((...ws: tf.Tensor[]) => tf.sum(tf.mul(tfLoss(net, ws as tf.Tensor2D[], k, v), tw)))(W);
      analytic.forEach((g, l) => expect(relErr(g.dataSync(), (auto[l] as tf.Tensor).dataSync())).toBeLessThan(1e-4));
      const norms = Array.from({ length: C }, (_, t) => {
        const gs = tf.grads((...ws: tf.Tensor[]) => tf.sum(tf.slice(tfLoss(net, ws as tf.Tensor2D[], k, v), [t], [1])))(W);
        return Math.sqrt(gs.reduce((s, g) => s + (tf.sum(tf.square(g)).dataSync()[0] as number), 0));
      });
      expect(relErr(tf.sqrt(pass.surpriseSq as tf.Tensor1D).dataSync(), norms)).toBeLessThan(1e-4);
      expect(relErr(pass.loss.dataSync(), tfLoss(net, W, k, v).dataSync())).toBeLessThan(1e-5);
    });
  });

  it('lets tf.grad differentiate through a chunk update (outer-loop training)', () => {
    const net = makeNet({ depth: 2 });
    const H = 1;
    const C = 4;
    const rng = new SeededRandom('outer');
    tf.tidy(() => {
      const weights = initMemoryWeights(net, H, rng);
      const k = tf.tensor2d(unit(randn(rng, C, net.headDim)));
      const v = tf.tensor2d(randn(rng, C, net.headDim, 0.7));
      const q = tf.tensor2d(unit(randn(rng, C, net.headDim)));
      const gates = { momentum: tf.fill([H, C], 0.6) as tf.Tensor2D, forget: tf.fill([H, C], 0.1) as tf.Tensor2D };
      // f(keys, θ, η, α): retrieval after a chunk update, read out by a fixed random direction.
      const dir = tf.tensor2d(randn(rng, C, net.headDim));
      const f = (...xs: tf.Tensor[]) => {
        const [keys, lr, momentum, forget] = xs as tf.Tensor2D[] as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
        const g = { lr, momentum, forget };
        const r = memoryChunk(net, weights, { keys: [keys], values: [v] }, g);
        const after = memoryChunk(net, r.weights, { keys: [keys], values: [v], queries: [q] }, g);
        return tf.sum(tf.mul((after.retrievals as tf.Tensor2D[])[0] as tf.Tensor2D, dir));
      };
      const xs = [k, tf.fill([H, C], 0.3), gates.momentum, gates.forget] as tf.Tensor2D[];
      const grads = tf.grads(f)(xs);
      for (let which = 0; which < xs.length; which++) {
        const x = xs[which] as tf.Tensor2D;
        const d = tf.randomNormal(x.shape, 0, 1, 'float32', 5 + which);
        const eps = 1e-2;
        const at = (sign: number) => f(...xs.map((y, i) => (i === which ? tf.add(y, tf.mul(d, sign * eps)) : y)));
        const numeric = ((at(1).dataSync()[0] as number) - (at(-1).dataSync()[0] as number)) / (2 * eps);
        const analytic = tf.sum(tf.mul(grads[which] as tf.Tensor, d)).dataSync()[0] as number;
        expect(Number.isFinite(analytic)).toBe(true);
        expect(Math.abs(analytic - numeric)).toBeLessThan(2e-2 * Math.max(1, Math.abs(numeric)));
      }
    });
  });
});

describe('edge gates (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  const net = makeNet({ depth: 2 });
  const H = 2;
  const C = 6;

  function run(theta: number, eta: number, alpha: number, momentum: 'zero' | 'random') {
    const rng = new SeededRandom(`edge:${theta}:${eta}:${alpha}:${momentum}`);
    return tf.tidy(() => {
      const init = initMemoryWeights(net, H, rng);
      // Give S_0 a non-zero value where asked, so that carried momentum would show.
      const weights = momentum === 'zero' ? init : init.map((h) => ({ w: h.w, s: h.s.map((t) => tf.randomNormal(t.shape, 0, 0.1, 'float32', 3) as tf.Tensor2D) }));
      const inputs = {
        keys: Array.from({ length: H }, () => tf.tensor2d(unit(randn(rng, C, net.headDim)))),
        values: Array.from({ length: H }, () => tf.tensor2d(randn(rng, C, net.headDim))),
      };
      const gates = { lr: tf.fill([H, C], theta) as tf.Tensor2D, momentum: tf.fill([H, C], eta) as tf.Tensor2D, forget: tf.fill([H, C], alpha) as tf.Tensor2D };
      const r = memoryChunk(net, weights, inputs, gates);
      const arrays = (ws: MemoryWeights) => ws.map((h) => ({ w: h.w.map((t) => t.arraySync()), s: h.s.map((t) => t.arraySync()) }));
      return { before: arrays(weights), after: arrays(r.weights) };
    });
  }

  it('(d) θ = 0 freezes the memory exactly', () => {
    const { before, after } = run(0, 0.9, 0, 'zero');
    expect(after).toEqual(before);
  });

  it('(d) α = 1 wipes the chunk-start memory: M_C = S_C exactly', () => {
    const { before, after } = run(0.2, 0.7, 1, 'random');
    after.forEach((head) => head.w.forEach((m, l) => {
      expect(m).toEqual(head.s[l]);
      expect(m.flat().some((x) => x !== 0)).toBe(true);
    }));
    expect(after).not.toEqual(before);
  });

  it('(d) α = 1 with θ = 0 leaves exactly zero weights, and η = 0 carries no momentum', () => {
    const wiped = run(0, 0, 1, 'random').after;
    wiped.forEach((head) => [...head.w, ...head.s].forEach((m) => expect(m.flat().every((x) => x === 0)).toBe(true)));
    const noMomentum = run(0, 0, 0, 'random');
    noMomentum.after.forEach((head, h) => {
      expect(head.w).toEqual(noMomentum.before[h]?.w);
      head.s.forEach((m) => expect(m.flat().every((x) => x === 0)).toBe(true));
    });
  });

  it('(d) chunk coefficients are exact 0/1 at the edges and finite everywhere', () => {
    tf.tidy(() => {
      const lr = tf.tensor2d([[1, 1, 1, 1]]);
      const wipeAt2 = chunkCoefficients({ lr, momentum: tf.zeros([1, 4]), forget: tf.tensor2d([[0, 1, 0, 0]]) });
      const tw = wipeAt2.tokenWeights.arraySync()[0] as number[][];
      const scalars = wipeAt2.scalars.arraySync()[0] as number[];
      expect(scalars[0]).toBe(0); // B = 0: M_0 is gone
      expect(Math.abs(tw[0]?.[0] ?? 1)).toBe(0); // without momentum, token 1's update is wiped by token 2
      expect(tw[0]?.slice(1)).toEqual([-1, -1, -1]);
      // With momentum, token 1 survives the wipe through S (S_2 = η·S_1 − θ·u_2, M_2 = S_2).
      const withMomentum = chunkCoefficients({ lr, momentum: tf.fill([1, 4], 0.5) as tf.Tensor2D, forget: tf.tensor2d([[0, 1, 0, 0]]) });
      expect(withMomentum.scalars.arraySync()[0]?.[0]).toBe(0);
      expect(withMomentum.tokenWeights.arraySync()[0]?.[0]?.[0]).toBeCloseTo(-(0.5 + 0.25 + 0.125), 6);
      const noMom = chunkCoefficients({ lr, momentum: tf.zeros([1, 4]), forget: tf.zeros([1, 4]) });
      const plain = (t: tf.Tensor) => Array.from(t.dataSync(), (x) => x + 0); // −0 → 0
      expect(plain(noMom.tokenWeights)).toEqual([-1, -1, -1, -1, 0, 0, 0, -1]);
      expect(plain(noMom.scalars)).toEqual([1, 0, 0]); // B = 1, b = 0, E = 0
      const all = tf.concat([wipeAt2.tokenWeights.flatten(), wipeAt2.scalars.flatten(), noMom.tokenWeights.flatten()]);
      expect(tf.all(tf.isFinite(all)).dataSync()[0]).toBe(1);
    });
  });
});

describe('(e) what the memory stores (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  const d = 32;
  const C = 16;
  // Equal parameter count: depth 1 is d × d; depth 2 is d × d/2 + d/2 × d.
  const netOf = (depth: number): MemoryNet => makeNet({ headDim: d, hidden: depth === 1 ? d : d / 2, depth });
  const unitRows = (rng: SeededRandom, n: number) => unit(randn(rng, n, d));

  /** One pass of chunk updates over (keys, values) with fixed θ, no momentum, no forgetting. */
  function write(net: MemoryNet, keys: number[][], values: number[][], lr: number, passes = 1): MemoryWeights {
    let weights: MemoryWeights = initMemoryWeights(net, 1, new SeededRandom('init'));
    const zeros = tf.zeros([1, C]) as tf.Tensor2D;
    const gates = { lr: tf.fill([1, C], lr) as tf.Tensor2D, momentum: zeros, forget: zeros };
    for (let p = 0; p < passes; p++) {
      for (let lo = 0; lo + C <= keys.length; lo += C) {
        const next = tidy(() =>
          keepHeads(
            memoryChunk(net, weights, { keys: [tf.tensor2d(keys.slice(lo, lo + C))], values: [tf.tensor2d(values.slice(lo, lo + C))] }, gates, { surprise: false })
              .weights,
          ),
        );
        disposeHeads(weights);
        weights = next;
      }
    }
    tf.dispose([zeros, gates.lr]);
    return weights;
  }

  function retrieve(net: MemoryNet, weights: MemoryWeights, queries: number[][]): number[][] {
    return tf.tidy(() => headRetrieve(net, weights[0] as HeadWeights, tf.tensor2d(queries)).arraySync());
  }

  it('recalls N random key → value pairs written once (matrix ≥ MLP at equal size)', () => {
    const N = 16;
    const trials = 5;
    const recall: Record<number, number> = { 1: 0, 2: 0 };
    for (let trial = 0; trial < trials; trial++) {
      const rng = new SeededRandom(`pairs:${trial}`);
      const keys = unitRows(rng, N);
      const values = unitRows(rng, N);
      for (const depth of [1, 2]) {
        const net = netOf(depth);
        const weights = write(net, keys, values, 0.3);
        const y = retrieve(net, weights, keys);
        y.forEach((yi, i) => {
          const scores = values.map((v) => v.reduce((s, x, j) => s + x * (yi[j] as number), 0));
          if (scores.indexOf(Math.max(...scores)) === i) recall[depth] = (recall[depth] as number) + 1 / (N * trials);
        });
        disposeHeads(weights);
      }
    }
    console.log(`recall of ${N} random pairs (d = ${d}, one pass, ${trials} trials): depth 1 ${recall[1]?.toFixed(2)}, depth 2 ${recall[2]?.toFixed(2)}`);
    expect(recall[1]).toBeGreaterThanOrEqual(0.8); // chance: 1/16
    expect(recall[2]).toBeGreaterThanOrEqual(0.5);
  });

  it('fits a fixed non-linear function of the keys better with depth 2 than depth 1 (equal size)', () => {
    // v = B·relu(A·k), A: 8 × d, B: d × 8, scaled to unit RMS per component.
    const fr = new SeededRandom('function');
    const A = randn(fr, 8, d);
    const B = randn(fr, d, 8);
    const f = (ks: number[][]) => {
      const raw = ks.map((k) => {
        const hidden = A.map((row) => Math.max(0, row.reduce((s, a, j) => s + a * (k[j] as number), 0)));
        return B.map((row) => row.reduce((s, b, a) => s + b * (hidden[a] as number), 0));
      });
      const rms = Math.sqrt(raw.flat().reduce((s, x) => s + x * x, 0) / (raw.length * d));
      return raw.map((v) => v.map((x) => x / rms / Math.sqrt(d)));
    };
    const stream = unitRows(new SeededRandom('stream'), 2048);
    const heldOut = unitRows(new SeededRandom('held-out'), 256);
    const target = f(heldOut);
    const error: Record<number, number> = {};
    for (const depth of [1, 2]) {
      const net = netOf(depth);
      const weights = write(net, stream, f(stream), 0.05, 2);
      const y = retrieve(net, weights, heldOut);
      error[depth] = relErr(y.flat(), target.flat()) ** 2;
      disposeHeads(weights);
    }
    console.log(`held-out relative MSE on v = B·relu(A·k): depth 1 ${error[1]?.toFixed(3)}, depth 2 ${error[2]?.toFixed(3)}`);
    expect(error[2]).toBeLessThan(0.5 * (error[1] as number));
  });
});

afterAll(async () => {
  await initBackend({ backend: 'wasm' });
});
