import { beforeAll, describe, expect, it } from 'vitest';
import { chunkGates, chunkLogGates, initGateParams, resolveMemoryOptions } from '../../../src/memory/index.js';
import type { MemoryOptions } from '../../../src/memory/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

const C = 6;
const H = 2;
const IN = 5;

function gatesOf(options: MemoryOptions) {
  const o = resolveMemoryOptions({ heads: H, ...options }, 8);
  const params = initGateParams(o, IN, new SeededRandom('gates'));
  const source = tf.randomNormal([C, IN], 0, 1, 'float32', 7) as tf.Tensor2D;
  return { o, params, source };
}

describe('gates (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('gives fixed values exactly and no projection when every gate is fixed', () => {
    const { o, params } = gatesOf({ learningRate: 0.3, momentum: 0, forget: 1 });
    expect(params).toBeUndefined();
    tf.tidy(() => {
      const g = chunkGates(o, undefined, undefined, C);
      expect(Array.from(g.lr.dataSync())).toEqual(new Array(H * C).fill(Math.fround(0.3)));
      expect(Array.from(g.momentum.dataSync())).toEqual(new Array(H * C).fill(0));
      expect(Array.from(g.forget.dataSync())).toEqual(new Array(H * C).fill(1));
      const logs = chunkLogGates(o, undefined, undefined, C);
      expect(logs.logMomentum.dataSync().every((x) => x <= -1e29)).toBe(true); // log 0
      expect(logs.logRetention.dataSync().every((x) => x <= -1e29)).toBe(true); // log(1 − 1)
    });
  });

  it('varies data-dependent gates per token, keeps θ under its cap, and agrees with the log form', () => {
    const { o, params, source } = gatesOf({ learningRate: { dataDependent: true }, maxLearningRate: 0.2, momentum: { dataDependent: true, init: 0.9 }, forget: { dataDependent: true, init: 0.01 } });
    tf.tidy(() => {
      const g = chunkGates(o, params, source, C);
      const lr = g.lr.arraySync();
      expect(lr.flat().every((x) => x > 0 && x < 0.2)).toBe(true);
      expect(new Set(lr[0]).size).toBeGreaterThan(1); // per token
      const logs = chunkLogGates(o, params, source, C);
      const close = (a: tf.Tensor, b: tf.Tensor) => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0] as number;
      expect(close(logs.lr, g.lr)).toBeLessThan(1e-6);
      expect(close(tf.exp(logs.logMomentum), g.momentum)).toBeLessThan(1e-5);
      expect(close(tf.exp(logs.logRetention), tf.sub(1, g.forget))).toBeLessThan(1e-5);
      // Biases put the gates near their init values.
      expect(Math.abs((tf.mean(g.momentum).dataSync()[0] as number) - 0.9)).toBeLessThan(0.1);
    });
    tf.dispose([source, ...(params ? [params.weight, params.bias] : [])]);
  });

  it('uses one value per chunk and head with gateGranularity chunk', () => {
    const { o, params, source } = gatesOf({ momentum: { dataDependent: true }, gateGranularity: 'chunk' });
    tf.tidy(() => {
      const g = chunkGates(o, params, source, C);
      for (const row of g.momentum.arraySync()) expect(new Set(row).size).toBe(1);
      const perToken = chunkGates({ ...o, gateGranularity: 'token' }, params, source, C);
      // The chunk value is the gate of the mean input, not the mean of the gates.
      const expected = tf.sigmoid(tf.add(tf.matMul(tf.mean(source, 0, true), (params as NonNullable<typeof params>).weight), (params as NonNullable<typeof params>).bias));
      const idx = (params as NonNullable<typeof params>).gates.indexOf('momentum');
      expect((g.momentum.arraySync()[1] as number[])[0]).toBeCloseTo((expected.arraySync() as number[][])[0]?.[idx * H + 1] as number, 6);
      expect(new Set(perToken.momentum.arraySync()[0]).size).toBeGreaterThan(1);
    });
    tf.dispose([source, ...(params ? [params.weight, params.bias] : [])]);
  });

  it.each(['token', 'chunk'] as const)('gives several chunks at once the gates of each chunk alone, stacked chunk by chunk (granularity %s)', (gateGranularity) => {
    const { o, params } = gatesOf({ learningRate: { dataDependent: true }, momentum: { dataDependent: true }, forget: 0.01, gateGranularity });
    const chunks = 3;
    tf.tidy(() => {
      const source = tf.randomNormal([chunks * C, IN], 0, 1, 'float32', 11) as tf.Tensor2D;
      const together = chunkLogGates(o, params, source, C, chunks);
      const alone = Array.from({ length: chunks }, (_, j) => chunkLogGates(o, params, tf.slice(source, j * C, C), C));
      for (const key of ['lr', 'logMomentum', 'logRetention'] as const) {
        expect(together[key].shape).toEqual([chunks * H, C]);
        expect(Array.from(together[key].dataSync())).toEqual(Array.from(tf.concat(alone.map((g) => g[key]), 0).dataSync()));
      }
    });
    tf.dispose(params ? [params.weight, params.bias] : []);
  });
});
