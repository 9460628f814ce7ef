import { beforeAll, describe, expect, it } from 'vitest';
import { applyRope, ropeTables } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import type { Tensor2D } from '../../../src/tensor/index.js';

describe('rotary positions', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('keeps each head’s norm and makes scores depend only on the distance between positions', () => {
    tf.tidy(() => {
      const rng = new SeededRandom(2);
      const [n, d, heads] = [6, 8, 2];
      const q = tf.tensor2d(rng.fillNormal(new Float32Array(n * d)), [n, d]);
      const k = tf.tensor2d(rng.fillNormal(new Float32Array(n * d)), [n, d]);
      const scores = (start: number) => {
        const t = ropeTables(start, n, d, heads, 100);
        const [qr, kr] = [applyRope(q, t), applyRope(k, t)];
        const norms = tf.norm(tf.reshape(qr, [n, heads, d / heads]), 2, 2);
        expect(tf.max(tf.abs(tf.sub(norms, tf.norm(tf.reshape(q, [n, heads, d / heads]), 2, 2)))).dataSync()[0]).toBeLessThan(1e-5);
        return tf.matMul(qr, kr, false, true) as Tensor2D;
      };
      const near = scores(0);
      const far = scores(1_000_003);
      expect(tf.max(tf.abs(tf.sub(near, far))).dataSync()[0]).toBeLessThan(1e-3);
      // …and they do depend on the positions: without rotation the scores differ.
      expect(tf.max(tf.abs(tf.sub(near, tf.matMul(q, k, false, true)))).dataSync()[0]).toBeGreaterThan(1e-2);
    });
  });

  it('rotates the first half of a head against the second half', () => {
    tf.tidy(() => {
      const t = ropeTables(1, 1, 4, 1, 10_000);
      const x = tf.tensor2d([[1, 0, 0, 0]]);
      const y = applyRope(x, t).dataSync();
      expect(y[0]).toBeCloseTo(Math.cos(1), 5);
      expect(y[2]).toBeCloseTo(Math.sin(1), 5);
    });
  });
});
