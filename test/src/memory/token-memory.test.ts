import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, InputError } from '../../../src/errors/index.js';
import { TokenMemory } from '../../../src/memory/index.js';
import type { MemoryState, TokenMemoryConfig, TokenMemoryResult } from '../../../src/memory/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

const small: TokenMemoryConfig = { vocabSize: 260, dim: 16, heads: 2, chunkSize: 8, contextSize: 3, seed: 5 };

function randomIds(seed: string, n: number, vocab = 256): Int32Array {
  const rng = new SeededRandom(seed);
  return Int32Array.from({ length: n }, () => rng.nextInt(vocab));
}

function bytes(text: string): Int32Array {
  return Int32Array.from(new TextEncoder().encode(text));
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs((a[i] as number) - (b[i] as number)) / (1e-6 + Math.abs(b[i] as number)));
  return worst;
}

function expectSameState(a: MemoryState, b: MemoryState): void {
  expect([a.tokensSeen, a.chunksApplied]).toEqual([b.tokensSeen, b.chunksApplied]);
  expect(a.arrays.map((x) => [x.name, x.shape, x.dtype])).toEqual(b.arrays.map((x) => [x.name, x.shape, x.dtype]));
  a.arrays.forEach((x, i) => expect(maxRelDiff(x.data, (b.arrays[i] as typeof x).data)).toBeLessThan(1e-4));
}

describe('TokenMemory (wasm)', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('returns per-token loss, surprise and top-k next-token predictions', async () => {
    const memory = TokenMemory.create(small);
    try {
      const r = await memory.process(bytes('hello, memory'), { outputs: { predictions: 3, retrievals: true } });
      expect(r.count).toBe(13);
      expect(r.loss).toHaveLength(13);
      expect(r.surprise).toHaveLength(13);
      expect(r.retrievals).toHaveLength(13 * 16);
      const topK = r.topK as NonNullable<TokenMemoryResult['topK']>;
      expect(topK.k).toBe(3);
      expect(topK.ids).toHaveLength(39);
      for (let i = 0; i < 13; i++) {
        const p = Array.from(topK.probs.subarray(3 * i, 3 * i + 3));
        expect(p[0]).toBeGreaterThanOrEqual(p[1] as number);
        expect(p[1]).toBeGreaterThanOrEqual(p[2] as number);
        expect(p.reduce((a, b) => a + b)).toBeLessThanOrEqual(1 + 1e-5);
        for (const id of topK.ids.subarray(3 * i, 3 * i + 3)) expect(id >= 0 && id < 260).toBe(true);
      }
      const plain = await memory.process(bytes('!'));
      expect(plain.topK).toBeUndefined();
      expect(plain.retrievals).toBeUndefined();
      expect(plain.firstIndex).toBe(13);
    } finally {
      memory.dispose();
    }
  });

  it('learns to predict the next token of a repeated text, and is surprised by a change', async () => {
    const memory = TokenMemory.create({ vocabSize: 260, seed: 1 });
    try {
      const line = bytes('GET /api/orders/42 200 12ms user=alice\n');
      const accuracy = async (times: number) => {
        let correct = 0;
        let total = 0;
        for (let t = 0; t < times; t++) {
          const r = await memory.process(line, { outputs: { predictions: 1 } });
          const ids = (r.topK as NonNullable<TokenMemoryResult['topK']>).ids;
          for (let i = 0; i + 1 < line.length; i++, total++) if (ids[i] === line[i + 1]) correct++;
        }
        return correct / total;
      };
      const early = await accuracy(3);
      await accuracy(30);
      const late = await accuracy(3);
      expect(late).toBeGreaterThan(0.9);
      expect(late).toBeGreaterThan(early);
      const usual = await memory.process(line);
      const odd = await memory.process(bytes('panic: stack overflow in /x/y\n'));
      const mean = (a: Float32Array) => a.reduce((s, x) => s + x, 0) / a.length;
      expect(mean(odd.surprise as Float32Array)).toBeGreaterThan(2 * mean(usual.surprise as Float32Array));
    } finally {
      memory.dispose();
    }
  });

  it('(c) one call equals many calls split at random points (outputs and state)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.array(fc.integer({ min: 0, max: 300 }), { maxLength: 6 }), async (n, cuts) => {
        const ids = randomIds(`split:${n}`, n);
        const whole = TokenMemory.create(small);
        const split = TokenMemory.create(small);
        try {
          const one = await whole.process(ids, { outputs: { predictions: 2 } });
          const points = [...new Set(cuts.map((c) => Math.min(c, n)))].sort((a, b) => a - b);
          const parts: TokenMemoryResult[] = [];
          let at = 0;
          for (const p of [...points, n]) {
            parts.push(await split.process(ids.subarray(at, p), { outputs: { predictions: 2 } }));
            at = p;
          }
          const cat = (f: (r: TokenMemoryResult) => ArrayLike<number> | undefined) => parts.flatMap((r) => Array.from(f(r) ?? []));
          expect(maxRelDiff(cat((r) => r.loss), one.loss as Float32Array)).toBeLessThan(1e-4);
          expect(maxRelDiff(cat((r) => r.surprise), one.surprise as Float32Array)).toBeLessThan(1e-4);
          expect(maxRelDiff(cat((r) => r.topK?.probs), one.topK?.probs as Float32Array)).toBeLessThan(1e-3);
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
    const ids = randomIds('resume', 45);
    const uninterrupted = TokenMemory.create(small);
    const first = TokenMemory.create(small);
    let resumed: TokenMemory | undefined;
    try {
      const whole = await uninterrupted.process(ids);
      await first.process(ids.subarray(0, 21));
      const snapshot = structuredClone(await first.exportState());
      expect(snapshot.arrays.find((a) => a.name === 'pending')).toMatchObject({ shape: [5], dtype: 'int32' });
      expect(snapshot.arrays.find((a) => a.name === 'context')).toMatchObject({ shape: [3], dtype: 'int32' });
      resumed = TokenMemory.fromState(snapshot);
      const rest = await resumed.process(ids.subarray(21));
      expect(maxRelDiff(rest.surprise as Float32Array, (whole.surprise as Float32Array).subarray(21))).toBeLessThan(1e-4);
      expectSameState(await resumed.exportState(), await uninterrupted.exportState());
      expect(() => TokenMemory.fromState({ ...snapshot, kind: 'neural-memory' })).toThrow(ConfigError);
    } finally {
      uninterrupted.dispose();
      first.dispose();
      resumed?.dispose();
    }
  });

  it('rejects token ids outside the vocabulary and a bad k, saying where', async () => {
    const memory = TokenMemory.create(small);
    try {
      await memory.process(new Int32Array([1, 2]));
      expect(() => memory.processTensors(new Int32Array([3, 260]))).toThrow(/token id 260 at index 1 .*stream index 3/);
      expect(() => memory.processTensors(new Int32Array([-1]))).toThrow(InputError);
      expect(() => memory.processTensors(new Int32Array([1]), { outputs: { predictions: 261 } })).toThrow(ConfigError);
      expect(memory.tokensSeen).toBe(2);
    } finally {
      memory.dispose();
    }
  });

  it('(f) keeps tf.memory().numTensors flat over 1,000 chunks', async () => {
    const memory = TokenMemory.create({ ...small, learningRate: { dataDependent: true } });
    try {
      const ids = randomIds('flat', 8000);
      await memory.process(ids.subarray(0, 53), { outputs: { predictions: 2 } });
      const before = tf.memory().numTensors;
      for (let at = 53; at < 8000; at += 53) await memory.process(ids.subarray(at, at + 53), { outputs: { predictions: 2 } });
      expect(memory.chunksApplied).toBe(1000);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      memory.dispose();
    }
  });

  it('(g) stays finite over 1M copies of one token and 1M random bytes', async () => {
    for (const kind of ['repeated', 'random'] as const) {
      const memory = TokenMemory.create({ vocabSize: 260, dim: 16, chunkSize: 512, learningRate: 0.5, momentum: 0.9 });
      try {
        const block = kind === 'repeated' ? new Int32Array(65536).fill(101) : randomIds('bytes', 65536);
        let finite = true;
        for (let i = 0; i < 16; i++) {
          const r = await memory.process(block, { outputs: { predictions: i % 8 === 0 ? 1 : 0 } });
          finite &&= [r.loss, r.surprise, r.topK?.probs].every((a) => a === undefined || a.every(Number.isFinite));
        }
        expect(memory.tokensSeen).toBe(1 << 20);
        expect(finite).toBe(true);
        expect((await memory.exportState()).arrays.every((a) => a.data.every(Number.isFinite))).toBe(true);
      } finally {
        memory.dispose();
      }
    }
  }, 120_000);

  it.each([
    [{ vocabSize: 0 }, 'vocabSize'],
    [{ vocabSize: 260, dim: 0 }, 'dim'],
    [{ vocabSize: 260, dim: 16, heads: 2, headDim: 4 }, 'headDim'],
    [{ vocabSize: 260, contextSize: 0 }, 'contextSize'],
    [{ vocabSize: 260, temperature: 0 }, 'temperature'],
    [{ vocabSize: 260, chunkSize: 0 }, 'chunkSize'],
    [{ vocabSize: 260, loss: 'cosine' }, 'loss'],
    [{ vocabSize: 260, kind: 'neural-memory' }, 'kind'],
    [{ vocabSize: 260, predictions: 3 }, 'predictions'],
  ])('(h) rejects %j with a ConfigError naming %s', (config, field) => {
    let error: unknown;
    try {
      TokenMemory.create(config as unknown as TokenMemoryConfig);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).field).toBe(field);
  });
});
