import { beforeAll, describe, expect, it } from 'vitest';
import { matMul2d, matMulT } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';
import type { Tensor2D } from '../../../src/tensor/index.js';

const rand = (rng: SeededRandom, r: number, c: number) => tf.tensor2d(rng.fillNormal(new Float32Array(r * c)), [r, c]);

describe('matMul2d / matMulT', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('equal tf.matMul in value and in gradient', () => {
    tf.tidy(() => {
      const rng = new SeededRandom(1);
      const a = rand(rng, 5, 7);
      const b = rand(rng, 7, 3);
      const w = rand(rng, 5, 3);
      expect(matMul2d(a, b).arraySync()).toEqual(tf.matMul(a, b).arraySync());
      const loss = (f: (x: Tensor2D, y: Tensor2D) => Tensor2D) => (x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.sin(f(x as Tensor2D, y as Tensor2D)), w));
      const ours = tf.grads(loss(matMul2d))([a, b]);
      const theirs = tf.grads(loss((x, y) => tf.matMul(x, y)))([a, b]);
      ours.forEach((g, i) => {
        const diff = tf.max(tf.abs(tf.sub(g, theirs[i] as tf.Tensor))).dataSync()[0] as number;
        expect(diff).toBeLessThan(1e-5);
      });
      const bt = rand(rng, 3, 7);
      const diff = tf.max(tf.abs(tf.sub(matMulT(a, bt), tf.matMul(a, bt, false, true)))).dataSync()[0] as number;
      expect(diff).toBeLessThan(1e-5);
    });
  });
});
