import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { configFingerprint, resolveNeuralMemoryConfig, resolveTokenMemoryConfig, TOKEN_MEMORY_DEFAULTS } from '../../../src/memory/index.js';

describe('memory configuration', () => {
  it('fills defaults and resolves a resolved configuration to itself', () => {
    const resolved = resolveNeuralMemoryConfig({ dim: 64, heads: 2, learningRate: 0.1, forget: { dataDependent: true, init: 0.2 } });
    expect(resolved).toMatchObject({ kind: 'neural-memory', dim: 64, heads: 2, headDim: 32, depth: 2, chunkSize: 64, loss: 'l2' });
    expect(resolved.learningRate).toEqual({ kind: 'fixed', value: 0.1 });
    expect(resolved.forget).toEqual({ kind: 'data', init: 0.2 });
    expect(resolveNeuralMemoryConfig(resolved)).toEqual(resolved);
    const token = resolveTokenMemoryConfig({ vocabSize: 260 });
    expect(token).toMatchObject({ kind: 'token-memory', dim: 64, chunkSize: TOKEN_MEMORY_DEFAULTS.chunkSize, learningRate: { kind: 'fixed', value: 0.05 } });
    expect(resolveTokenMemoryConfig(token)).toEqual(token);
  });

  it('gives equal fingerprints to equal configurations only', () => {
    const a = configFingerprint({ dim: 64, depth: 2, nested: { x: 1, y: [1, 2] } });
    expect(a).toMatch(/^[0-9a-f]{16}$/);
    expect(configFingerprint({ nested: { y: [1, 2], x: 1 }, depth: 2, dim: 64 })).toBe(a);
    expect(configFingerprint({ dim: 64, depth: 3, nested: { x: 1, y: [1, 2] } })).not.toBe(a);
    expect(configFingerprint({ dim: 64, depth: 2, nested: { x: 1, y: [2, 1] } })).not.toBe(a);
    const c = resolveNeuralMemoryConfig({ dim: 8 });
    expect(configFingerprint(c)).toBe(configFingerprint(resolveNeuralMemoryConfig({ dim: 8, depth: 2 })));
  });

  it('names the offending field of a nested gate and of a non-object config', () => {
    expect(() => resolveNeuralMemoryConfig({ dim: 8, momentum: { dataDependent: true, init: 0.5, extra: 1 } as never })).toThrow(
      expect.objectContaining({ field: 'momentum.extra' }),
    );
    expect(() => resolveNeuralMemoryConfig(null as never)).toThrow(ConfigError);
  });
});
