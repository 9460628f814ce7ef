import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../src/errors/index.js';
import { NeuralMemory } from '../../../src/memory/index.js';
import type { MemoryState, NeuralMemoryConfig, NeuralMemoryResult } from '../../../src/memory/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

const small: NeuralMemoryConfig = {
  dim: 8,
  heads: 2,
  depth: 2,
  expansion: 2,
  chunkSize: 4,
  convKernel: 3,
  gateGranularity: 'token',
  seed: 11,
};

function rows(seed: string, n: number, dim: number, scale = 1): Float32Array {
  return new SeededRandom(seed).fillNormal(new Float32Array(n * dim), 0, scale);
}

function concat(parts: NeuralMemoryResult[], key: 'retrievals' | 'loss' | 'surprise'): Float32Array {
  return Float32Array.from(parts.flatMap((p) => Array.from(p[key] ?? [])));
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / (1e-6 + Math.abs(b[i] as number)));
  return worst;
}

function expectSameState(a: MemoryState, b: MemoryState): void {
  expect(a.tokensSeen).toBe(b.tokensSeen);
  expect(a.chunksApplied).toBe(b.chunksApplied);
  expect(a.arrays.map((x) => [x.name, x.shape])).toEqual(b.arrays.map((x) => [x.name, x.shape]));
  a.arrays.forEach((x, i) => expect(maxRelDiff(x.data, (b.arrays[i] as typeof x).data)).toBeLessThan(1e-4));
}

describe('NeuralMemory (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('returns one output per row, and updates once per full chunk', async () => {
    const memory = NeuralMemory.create(small);
    try {
      const r = await memory.process(rows('a', 10, 8));
      expect(r.count).toBe(10);
      expect(r.firstIndex).toBe(0);
      expect(r.retrievals).toHaveLength(10 * 8);
      expect(r.loss).toHaveLength(10);
      expect(r.surprise).toHaveLength(10);
      expect(memory.tokensSeen).toBe(10);
      expect(memory.chunksApplied).toBe(2);
      const only = await memory.process(rows('b', 3, 8), { outputs: { retrievals: false, surprise: false } });
      expect(only.firstIndex).toBe(10);
      expect(only.retrievals).toBeUndefined();
      expect(only.surprise).toBeUndefined();
      expect(only.loss).toHaveLength(3);
      expect(memory.chunksApplied).toBe(3);
    } finally {
      memory.dispose();
    }
  });

  it.each([
    ['per-token gates', small],
    ['per-chunk gates', { ...small, gateGranularity: 'chunk' as const }],
  ])('(c) one call equals many calls split at random points (outputs and state), %s', async (_, config) => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 150 }), fc.array(fc.integer({ min: 0, max: 150 }), { maxLength: 6 }), async (n, cuts) => {
        const x = rows(`split:${n}`, n, config.dim);
        const whole = NeuralMemory.create(config);
        const split = NeuralMemory.create(config);
        try {
          const one = await whole.process(x);
          const points = [...new Set(cuts.map((c) => Math.min(c, n)))].sort((a, b) => a - b);
          const parts: NeuralMemoryResult[] = [];
          let at = 0;
          for (const p of [...points, n]) {
            parts.push(await split.process(x.subarray(at * config.dim, p * config.dim)));
            at = p;
          }
          for (const key of ['retrievals', 'loss', 'surprise'] as const) {
            expect(maxRelDiff(concat(parts, key), one[key] as Float32Array)).toBeLessThan(1e-4);
          }
          expectSameState(await split.exportState(), await whole.exportState());
        } finally {
          whole.dispose();
          split.dispose();
        }
      }),
      { numRuns: 25 },
    );
  });

  it('export → import continues exactly like the uninterrupted memory', async () => {
    const x = rows('resume', 23, small.dim);
    const uninterrupted = NeuralMemory.create(small);
    const first = NeuralMemory.create(small);
    let resumed: NeuralMemory | undefined;
    try {
      const whole = await uninterrupted.process(x);
      await first.process(x.subarray(0, 9 * small.dim)); // leaves a partial chunk and conv context
      const snapshot = structuredClone(await first.exportState());
      expect(snapshot.kind).toBe('neural-memory');
      expect(snapshot.fingerprint).toBe(first.fingerprint);
      expect(snapshot.arrays.find((a) => a.name === 'pending')?.shape).toEqual([1, small.dim]);
      expect(snapshot.arrays.find((a) => a.name === 'context')?.shape).toEqual([2, small.dim]);
      resumed = NeuralMemory.fromState(snapshot);
      expect(resumed.tokensSeen).toBe(9);
      const rest = await resumed.process(x.subarray(9 * small.dim));
      expect(rest.firstIndex).toBe(9);
      expect(maxRelDiff(rest.loss as Float32Array, (whole.loss as Float32Array).subarray(9))).toBeLessThan(1e-4);
      expect(maxRelDiff(rest.retrievals as Float32Array, (whole.retrievals as Float32Array).subarray(9 * small.dim))).toBeLessThan(1e-4);
      expectSameState(await resumed.exportState(), await uninterrupted.exportState());
    } finally {
      uninterrupted.dispose();
      first.dispose();
      resumed?.dispose();
    }
  });

  it('rejects a snapshot of another configuration or a malformed one', async () => {
    const a = NeuralMemory.create(small);
    const b = NeuralMemory.create({ ...small, depth: 1 });
    try {
      const state = await a.exportState();
      expect(() => b.importState(state)).toThrow(ConfigError);
      const broken = { ...state, arrays: state.arrays.filter((x) => x.name !== 'h1.l1.momentum') };
      expect(() => a.importState(broken)).toThrow(InputError);
      expect(() => a.importState({ ...state, kind: 'token-memory' })).toThrow(InputError);
    } finally {
      a.dispose();
      b.dispose();
    }
  });

  it('accepts tensors as input and leaves them to the caller', async () => {
    const memory = NeuralMemory.create(small);
    const x = tf.tensor2d(rows('t', 6, small.dim), [6, small.dim]);
    try {
      const r = await memory.process(x);
      expect(r.count).toBe(6);
      expect(x.isDisposed).toBe(false);
      expect(() => memory.processTensors(tf.zeros([2, 3]) as tf.Tensor2D)).toThrow(InputError);
    } finally {
      x.dispose();
      memory.dispose();
    }
  });

  it('(f) keeps tf.memory().numTensors flat over 1,000 chunks', async () => {
    const memory = NeuralMemory.create({ dim: 8, heads: 2, depth: 2, chunkSize: 4, convKernel: 2, gateGranularity: 'chunk' });
    try {
      const x = rows('flat', 4000, 8);
      await memory.process(x.subarray(0, 37 * 8)); // warm-up: caches, prepared weights
      const before = tf.memory().numTensors;
      for (let at = 37; at < 4000; at += 37) await memory.process(x.subarray(at * 8, Math.min(4000, at + 37) * 8));
      expect(memory.chunksApplied).toBe(1000);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      memory.dispose();
    }
  });

  it('(g) stays finite over 1M rows of huge values', async () => {
    const memory = NeuralMemory.create({ dim: 8, chunkSize: 256 });
    try {
      const rng = new SeededRandom('huge');
      const block = new Float32Array(65536 * 8);
      for (let i = 0; i < block.length; i++) block[i] = (rng.next() < 0.5 ? -1 : 1) * 10 ** (20 + 18 * rng.next());
      let finite = true;
      for (let i = 0; i < 16; i++) {
        const r = await memory.process(block, { outputs: { retrievals: i % 4 === 0 } });
        finite &&= [r.loss, r.surprise, r.retrievals].every((a) => a === undefined || a.every(Number.isFinite));
      }
      expect(memory.tokensSeen).toBe(1 << 20);
      expect(finite).toBe(true);
      const state = await memory.exportState();
      expect(state.arrays.every((a) => a.data.every(Number.isFinite))).toBe(true);
    } finally {
      memory.dispose();
    }
  }, 120_000);

  it.each([
    [{ dim: 0 }, 'dim'],
    [{ dim: 8, heads: 0 }, 'heads'],
    [{ dim: 8, heads: 3 }, 'heads'],
    [{ dim: 8, headDim: 0 }, 'headDim'],
    [{ dim: 8, depth: 0 }, 'depth'],
    [{ dim: 8, expansion: 0.3 }, 'expansion'],
    [{ dim: 8, chunkSize: 0 }, 'chunkSize'],
    [{ dim: 8, loss: 'l3' }, 'loss'],
    [{ dim: 8, activation: 'swish' }, 'activation'],
    [{ dim: 8, huberDelta: 0 }, 'huberDelta'],
    [{ dim: 8, lpExponent: 0.5 }, 'lpExponent'],
    [{ dim: 8, learningRate: -1 }, 'learningRate'],
    [{ dim: 8, momentum: 2 }, 'momentum'],
    [{ dim: 8, forget: { dataDependent: true, init: 1 } }, 'forget.init'],
    [{ dim: 8, forget: 'sometimes' }, 'forget'],
    [{ dim: 8, maxLearningRate: 0 }, 'maxLearningRate'],
    [{ dim: 8, gateGranularity: 'batch' }, 'gateGranularity'],
    [{ dim: 8, clipSurprise: 0 }, 'clipSurprise'],
    [{ dim: 8, convKernel: -1 }, 'convKernel'],
    [{ dim: 8, seed: 1.5 }, 'seed'],
    [{ dim: 8, chunksize: 16 }, 'chunksize'],
  ])('(h) rejects %j with a ConfigError naming %s', (config, field) => {
    let error: unknown;
    try {
      NeuralMemory.create(config as unknown as NeuralMemoryConfig);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });

  it('throws once disposed', async () => {
    const memory = NeuralMemory.create(small);
    memory.dispose();
    memory.dispose();
    await expect(memory.process(new Float32Array(8))).rejects.toThrow(InputError);
  });
});
