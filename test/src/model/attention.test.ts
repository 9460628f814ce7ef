import { beforeAll, describe, expect, it } from 'vitest';
import { MASKED, attention, segmentMask, slidingWindowMask } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

/** Naive float64 attention: visible[i][j] says whether query i sees key j. */
function naive(q: number[][], k: number[][], v: number[][], visible: boolean[][], heads: number): number[][] {
  const d = (q[0] as number[]).length;
  const hd = d / heads;
  return q.map((qi, i) => {
    const out = new Array<number>(d).fill(0);
    for (let h = 0; h < heads; h++) {
      const s = k.map((kj, j) => (visible[i]?.[j] ? qi.slice(h * hd, (h + 1) * hd).reduce((acc, x, c) => acc + x * (kj[h * hd + c] as number), 0) / Math.sqrt(hd) : -Infinity));
      const mx = Math.max(...s);
      const e = s.map((x) => Math.exp(x - mx));
      const z = e.reduce((a, b) => a + b, 0);
      e.forEach((w, j) => {
        for (let c = 0; c < hd; c++) out[h * hd + c] = (out[h * hd + c] as number) + ((w / z) * (v[j]?.[h * hd + c] as number));
      });
    }
    return out;
  });
}

const randn = (rng: SeededRandom, r: number, c: number) => Array.from({ length: r }, () => Array.from(rng.fillNormal(new Float32Array(c))));

describe('attention and its masks', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('sliding-window mask: persistent keys always, cached and own tokens within the window, nothing later', () => {
    const [n, p, c, w] = [4, 2, 3, 3];
    const bias = slidingWindowMask(n, p, c, w).arraySync();
    for (let i = 0; i < n; i++) {
      const pos = c + i; // cached tokens sit at 0…c−1, query i at c + i
      bias[i]?.forEach((b, j) => {
        const keyPos = j - p;
        const visible = j < p || (keyPos <= pos && keyPos > pos - w);
        expect(b).toBe(visible ? 0 : MASKED);
      });
    }
  });

  it('segment mask: query i sees persistent tokens and retrieved / segment tokens j ≤ i', () => {
    const [n, p] = [3, 2];
    const bias = segmentMask(n, p).arraySync();
    for (let i = 0; i < n; i++) {
      bias[i]?.forEach((b, j) => {
        const visible = j < p || (j < p + n ? j - p <= i : j - p - n <= i);
        expect(b).toBe(visible ? 0 : MASKED);
      });
    }
  });

  it.each([1, 2, 4])('matches a naive float64 attention (%i heads)', (heads) => {
    const rng = new SeededRandom(heads);
    const [n, p, c, w, d] = [5, 2, 3, 4, 8];
    const m = p + c + n;
    const q = randn(rng, n, d);
    const k = randn(rng, m, d);
    const v = randn(rng, m, d);
    const bias = slidingWindowMask(n, p, c, w);
    const visible = bias.arraySync().map((row) => row.map((b) => b === 0));
    const got = tf.tidy(() => attention(tf.tensor2d(q), tf.tensor2d(k), tf.tensor2d(v), bias, heads).arraySync());
    const want = naive(q, k, v, visible, heads);
    got.forEach((row, i) => row.forEach((x, j) => expect(x).toBeCloseTo(want[i]?.[j] as number, 4)));
    bias.dispose();
  });
});
