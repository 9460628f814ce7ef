import { beforeAll, describe, expect, it } from 'vitest';
import { embed, lmHead, mlp, rmsNorm } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import type { Tensor2D } from '../../../src/tensor/index.js';

const rows = (rng: SeededRandom, r: number, c: number) => Array.from({ length: r }, () => Array.from(rng.fillNormal(new Float32Array(c))));
const matmul = (a: number[][], b: number[][]) => a.map((r) => (b[0] as number[]).map((_, j) => r.reduce((s, x, k) => s + x * (b[k]?.[j] as number), 0)));
const silu = (z: number) => z / (1 + Math.exp(-z));
const gelu = (z: number) => 0.5 * z * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (z + 0.044715 * z ** 3)));

function close(got: number[][], want: number[][], digits = 4) {
  got.forEach((r, i) => r.forEach((x, j) => expect(x).toBeCloseTo(want[i]?.[j] as number, digits)));
}

describe('model layers', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('rmsNorm scales rows to unit RMS, times the gain', () => {
    const x: [number, number][] = [
      [3, 4],
      [0.1, -0.2],
    ];
    const got = tf.tidy(() => rmsNorm(tf.tensor2d(x), tf.tensor1d([2, 0.5]), 0).arraySync());
    const want = x.map(([a, b]) => {
      const rms = Math.sqrt((a * a + b * b) / 2);
      return [(2 * a) / rms, (0.5 * b) / rms];
    });
    close(got, want);
  });

  it.each(['swiglu', 'gelu'] as const)('mlp %s matches a naive implementation', (kind) => {
    const rng = new SeededRandom(3);
    const [n, d, h] = [3, 4, 5];
    const x = rows(rng, n, d);
    const up = rows(rng, d, kind === 'swiglu' ? 2 * h : h);
    const down = rows(rng, h, d);
    const got = tf.tidy(() => mlp(kind, { up: tf.tensor2d(up), down: tf.tensor2d(down) }, tf.tensor2d(x)).arraySync());
    const u = matmul(x, up);
    const hidden = u.map((r) => (kind === 'swiglu' ? r.slice(0, h).map((g, j) => silu(g) * (r[h + j] as number)) : r.map(gelu)));
    close(got, matmul(hidden, down));
  });

  it('embed picks table rows; lmHead ties to the table or uses its own head', () => {
    const rng = new SeededRandom(4);
    const table = rows(rng, 6, 3);
    const head = rows(rng, 3, 6);
    tf.tidy(() => {
      const x = embed(tf.tensor2d(table), tf.tensor1d([5, 0, 5], 'int32'));
      close(x.arraySync(), [table[5], table[0], table[5]] as number[][], 6);
      const h = tf.tensor2d(rows(rng, 2, 3)) as Tensor2D;
      const tableT = [0, 1, 2].map((j) => table.map((r) => r[j] as number));
      close(lmHead(h, { tied: tf.tensor2d(table) }).arraySync(), matmul(h.arraySync(), tableT));
      close(lmHead(h, { head: tf.tensor2d(head) }).arraySync(), matmul(h.arraySync(), head));
      // The embedding is differentiable on WASM (no UnsortedSegmentSum needed).
      const g = tf.grad((t: tf.Tensor) => tf.sum(embed(t as Tensor2D, tf.tensor1d([1, 1, 2], 'int32'))))(tf.tensor2d(table));
      expect(g.sum(1).arraySync()).toEqual([0, 6, 3, 0, 0, 0]);
    });
  });
});
