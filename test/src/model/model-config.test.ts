import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { ARCHS, TitansModel, initModelWeights, resolveTitansModelConfig, weightShapes } from '../../../src/model/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

describe('model configuration and weights', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('fills defaults, is idempotent, and ties the memory chunk to the segment', () => {
    const c = resolveTitansModelConfig({ arch: 'mac', segment: 16, memory: { depth: 1 } });
    expect(c).toMatchObject({ kind: 'titans-model', vocabSize: 260, bosId: 256, dim: 64, heads: 4, segment: 16, tieEmbeddings: true });
    expect(c.memory).toMatchObject({ chunkSize: 16, depth: 1, heads: 1, headDim: 64, gateGranularity: 'token' });
    expect(resolveTitansModelConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
  });

  it.each([
    [{ arch: 'gpt' }, 'arch'],
    [{ arch: 'mac', dim: 30, heads: 4 }, 'heads'],
    [{ arch: 'mac', dim: 12, heads: 4 }, 'heads'],
    [{ arch: 'mac', bosId: 260 }, 'bosId'],
    [{ arch: 'mac', memory: { chunkSize: 8 } }, 'memory.chunkSize'],
    [{ arch: 'mac', memory: { gateGranularity: 'chunk' } }, 'memory.gateGranularity'],
    [{ arch: 'mac', memory: { depht: 2 } }, 'memory.depht'],
    [{ arch: 'mac', windw: 3 }, 'windw'],
  ])('rejects %j naming %s', (config, field) => {
    expect(() => resolveTitansModelConfig(config as never)).toThrow(ConfigError);
    try {
      resolveTitansModelConfig(config as never);
    } catch (e) {
      expect((e as ConfigError).field).toBe(field);
    }
  });

  it.each(ARCHS)('%s: initial weights have the listed names and shapes, and the seed fixes them', (arch) => {
    const config = resolveTitansModelConfig({ arch, dim: 16, heads: 2, layers: 2, tieEmbeddings: arch !== 'swa' });
    const shapes = weightShapes(config);
    const a = initModelWeights(config);
    const b = initModelWeights(config);
    const other = initModelWeights(resolveTitansModelConfig({ ...config, seed: 1 }));
    expect(Object.keys(a).sort()).toEqual([...shapes.keys()].sort());
    for (const [name, shape] of shapes) {
      expect(a[name]?.shape).toEqual(shape);
      expect(tf.equal(a[name] as tf.Tensor, b[name] as tf.Tensor).all().dataSync()[0]).toBe(1);
    }
    expect(tf.equal(a['embed'] as tf.Tensor, other['embed'] as tf.Tensor).all().dataSync()[0]).toBe(0);
    expect(shapes.has('head')).toBe(arch === 'swa');
    expect([...shapes.keys()].some((n) => n.includes('.mem.'))).toBe(arch !== 'swa');
    expect([...shapes.keys()].some((n) => n.includes('.attn.'))).toBe(arch !== 'lmm');
    tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(other)]);
  });

  it('fromWeights checks names and shapes', () => {
    const config = resolveTitansModelConfig({ arch: 'lmm', dim: 8, heads: 2, layers: 1 });
    const values = initModelWeights(config);
    const model = TitansModel.fromWeights(config, values);
    expect(model.parameterCount).toBe(Object.values(values).reduce((n, t) => n + t.size, 0));
    model.dispose();
    expect(() => TitansModel.fromWeights(config, { ...values, extra: tf.zeros([1]) })).toThrow(/unknown weight "extra"/);
    const { embed: _embed, ...missing } = values;
    expect(() => TitansModel.fromWeights(config, missing)).toThrow(/"embed" is missing/);
    expect(() => TitansModel.fromWeights(config, { ...values, embed: tf.zeros([260, 9]) })).toThrow(/shape \[260, 9\].*\[260, 8\]/);
    tf.dispose(Object.values(values));
  });
});
