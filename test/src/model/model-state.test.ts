import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { swapOrientation } from '../../../src/memory/index.js';
import { TitansModel, disposeState, initialState } from '../../../src/model/index.js';
import { modelMemoryNet } from '../../../src/model/model-weights.js';
import type { TitansModelConfig } from '../../../src/model/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

const config = (depth: number): TitansModelConfig => ({
  arch: 'mac',
  vocabSize: 40,
  bosId: 39,
  dim: 16,
  layers: 1,
  heads: 2,
  segment: 4,
  window: 6,
  persistent: 2,
  seed: 5,
  memory: { heads: 2, headDim: 8, depth, expansion: 3 },
});

describe('model state: memory orientation (saved vs runtime)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => {
    tf.disposeVariables();
  });

  it.each([1, 2, 3])('depth %i: checkpoints keep layer 0 as [in × out] and later layers as [out × in]; a fresh stream snapshots them unchanged', async (depth) => {
    const model = TitansModel.create(config(depth));
    const net = modelMemoryNet(model.config);
    const hidden = 8 * 3;
    const dims = Array.from({ length: depth }, (_, l) => [l === 0 ? 8 : hidden, l === depth - 1 ? 8 : hidden]);
    dims.forEach(([i, o], l) => expect(model.tensors[`layers.0.mem.init.h1.l${l}`]?.shape).toEqual(l === 0 ? [i, o] : [o, i]));
    // The runtime memory is the canonical [in × out] weight in the stored orientation.
    const state = initialState(model.config, model.tensors, 1);
    const head = state.layers[0]?.memory?.[1];
    dims.forEach(([i, o], l) => {
      const saved = model.tensors[`layers.0.mem.init.h1.l${l}`] as tf.Tensor2D;
      const canonical = tf.tidy(() => tf.clone(swapOrientation(net, head?.w[l] as tf.Tensor2D, l)));
      expect(canonical.shape).toEqual([i, o]);
      const expected = tf.tidy(() => (l === 0 ? tf.clone(saved) : tf.transpose(saved)));
      expect(Array.from(canonical.dataSync())).toEqual(Array.from(expected.dataSync()));
      tf.dispose([canonical, expected]);
    });
    disposeState(state);
    const stream = model.stream();
    const snapshot = await stream.exportState();
    for (let l = 0; l < depth; l++) {
      const slot = snapshot.arrays.find((a) => a.name === `l0.h1.w${l}`);
      const saved = model.tensors[`layers.0.mem.init.h1.l${l}`] as tf.Tensor2D;
      expect(slot?.shape).toEqual(saved.shape);
      expect(Array.from(slot?.data ?? [])).toEqual(Array.from(saved.dataSync()));
    }
    stream.dispose();
    model.dispose();
  });
});
