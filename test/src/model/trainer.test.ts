import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TitansModel, Trainer, cropRows, evaluateStream, lossAndGradients, randomStarts } from '../../../src/model/index.js';
import type { TitansModelConfig, TrainStep } from '../../../src/model/index.js';
import { SeededRandom } from '../../../src/random/index.js';
import { initBackend, tf } from '../../../src/tensor/index.js';

const config: TitansModelConfig = { arch: 'mag', dim: 16, layers: 1, heads: 2, segment: 8, window: 12, persistent: 2, seed: 2 };
const text = 'the quick brown fox jumps over the lazy dog. '.repeat(40);
const data = Int32Array.from(new TextEncoder().encode(text));

async function train(steps: number, options: { resumeAt?: number } = {}): Promise<{ curve: TrainStep[]; numTensors: number[]; model: TitansModel }> {
  let model = TitansModel.create(config);
  const opts = { steps: 12, batch: 2, seqLen: 16, lr: 1e-2, warmup: 2, seed: 5 };
  let trainer = new Trainer(model, data, opts);
  const curve: TrainStep[] = [];
  const numTensors: number[] = [];
  while (trainer.step < steps) {
    if (trainer.step === options.resumeAt) {
      // Save everything, throw the objects away, rebuild and continue.
      const state = structuredClone(await trainer.exportState());
      const weights = Object.fromEntries(await Promise.all(Object.entries(model.tensors).map(async ([n, t]) => [n, { shape: t.shape, data: (await t.data()) as Float32Array }] as const)));
      trainer.dispose();
      model.dispose();
      model = TitansModel.fromWeights(config, weights);
      trainer = new Trainer(model, data, opts);
      trainer.importState(state);
    }
    curve.push(await trainer.next());
    numTensors.push(tf.memory().numTensors);
  }
  trainer.dispose();
  return { curve, numTensors, model };
}

describe('Trainer', () => {
  const models: TitansModel[] = [];
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  it('is reproducible: same seed, same loss curve; resuming from exported state continues it exactly; numTensors stays flat', async () => {
    const a = await train(6);
    const b = await train(6);
    const c = await train(6, { resumeAt: 3 });
    models.push(a.model, b.model, c.model);
    expect(b.curve).toEqual(a.curve);
    expect(c.curve).toEqual(a.curve);
    expect(new Set(a.numTensors.slice(1)).size).toBe(1);
    expect(a.curve.map((s) => s.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(a.curve[0]?.lr).toBeCloseTo(5e-3, 10);
  });

  it('lowers the loss on a small repetitive text (MAC)', async () => {
    const model = TitansModel.create({ ...config, arch: 'mac' });
    models.push(model);
    const before = await evaluateStream(model, data.subarray(0, 120));
    const trainer = new Trainer(model, data, { steps: 40, batch: 4, seqLen: 16, lr: 1e-2, warmup: 4, seed: 1 });
    const curve: number[] = [];
    while (trainer.step < 40) curve.push((await trainer.next()).loss);
    trainer.dispose();
    const after = await evaluateStream(model, data.subarray(0, 120));
    const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / xs.length;
    expect(mean(curve.slice(-5))).toBeLessThan(0.6 * mean(curve.slice(0, 5)));
    expect(after.bits, `before ${before.bits}, after ${after.bits}`).toBeLessThan(before.bits - 2);
  });

  it('an LMM trained briefly on a repeated-pattern stream beats the untrained memory on it', async () => {
    const rng = new SeededRandom(11);
    const pattern = Array.from({ length: 20 }, () => rng.nextInt(15)); // contexts repeat: a bigram does not determine the next token
    const stream = Int32Array.from({ length: 2000 }, (_, i) => pattern[i % pattern.length] as number);
    const model = TitansModel.create({ arch: 'lmm', vocabSize: 16, bosId: 15, dim: 16, layers: 1, segment: 8, seed: 3 });
    models.push(model);
    const test = stream.subarray(7, 207); // a fresh stream starting mid-pattern
    const untrained = await evaluateStream(model, test);
    const trainer = new Trainer(model, stream, { steps: 40, batch: 4, seqLen: 32, lr: 1e-2, warmup: 4, seed: 2 });
    while (trainer.step < 40) await trainer.next();
    trainer.dispose();
    const trained = await evaluateStream(model, test);
    expect(untrained.bits).toBeGreaterThan(3.5); // ≈ log2(16)
    expect(trained.bits, `untrained ${untrained.bits}, trained ${trained.bits}`).toBeLessThan(untrained.bits - 1.5);
  });

  it('streamWindows: reads consecutive windows of each stream with the state carried; reproducible, numTensors flat, resume starts new streams', async () => {
    const run = async (resumeAt?: number) => {
      const model = TitansModel.create(config);
      models.push(model);
      const opts = { steps: 12, batch: 2, seqLen: 16, lr: 1e-2, warmup: 2, seed: 5, streamWindows: 3 };
      const base = tf.memory().numTensors;
      let trainer = new Trainer(model, data, opts);
      const losses: number[] = [];
      const counts: number[] = [];
      while (trainer.step < 5) {
        if (trainer.step === resumeAt) {
          const state = await trainer.exportState();
          trainer.dispose();
          trainer = new Trainer(model, data, state.options);
          trainer.importState(state);
        }
        losses.push((await trainer.next()).loss);
        counts.push(tf.memory().numTensors);
      }
      trainer.dispose();
      expect(tf.memory().numTensors).toBe(base);
      return { losses, counts };
    };
    const a = await run();
    const b = await run();
    expect(b.losses).toEqual(a.losses);
    // Streams open at steps 1 and 4 and carry a state in between: the count repeats with the window.
    expect(a.counts[3]).toBe(a.counts[0]);
    expect(a.counts[4]).toBe(a.counts[1]);
    const resumed = await run(4);
    expect(resumed.losses.slice(0, 4)).toEqual(a.losses.slice(0, 4));
    expect(resumed.losses[4]).not.toBe(a.losses[4]); // a resumed run starts new streams
    const stateless = new Trainer(models[models.length - 1] as TitansModel, data, { steps: 12, batch: 2, seqLen: 16, seed: 5 });
    expect(stateless.options.streamWindows).toBe(1);
    stateless.dispose();
    expect(() => new Trainer(models[0] as TitansModel, data.subarray(0, 40), { steps: 1, seqLen: 16, streamWindows: 3 })).toThrow(/fewer than one stream of 48/);
  });

  it('align and weights: a step\'s loss is the weighted loss of whole documents drawn by its seed; the weights must match the data', async () => {
    const rng = new SeededRandom(6);
    const docs = Int32Array.from({ length: 40 * 16 }, () => 97 + rng.nextInt(20));
    const weights = Float32Array.from({ length: docs.length }, (_, i) => (i % 16 === 15 ? 1 : 0.1 * (i % 3)));
    const model = TitansModel.create({ ...config, arch: 'swa' });
    models.push(model);
    const trainer = new Trainer(model, docs, { steps: 5, batch: 4, seqLen: 16, seed: 3, align: 16 }, weights);
    const { loss } = await trainer.next();
    trainer.dispose();
    // The same draws by hand: four document starts, their tokens and their weights.
    const draw = new SeededRandom(3);
    const starts = randomStarts(4, docs.length, 16, draw, 16);
    expect(starts.every((s) => s % 16 === 0)).toBe(true);
    expect(new Set(starts).size).toBeGreaterThan(1);
    const expected = tf.tidy(() => {
      const fresh = TitansModel.create({ ...config, arch: 'swa' });
      const r = lossAndGradients(fresh.config, fresh.tensors, cropRows(docs, starts, 0, 16), 4, { weights: cropRows(weights, starts, 0, 16) });
      const v = r.loss.dataSync()[0] as number;
      fresh.dispose();
      return v;
    });
    const unweighted = tf.tidy(() => {
      const fresh = TitansModel.create({ ...config, arch: 'swa' });
      const r = lossAndGradients(fresh.config, fresh.tensors, cropRows(docs, starts, 0, 16), 4);
      const v = r.loss.dataSync()[0] as number;
      fresh.dispose();
      return v;
    });
    expect(loss).toBeCloseTo(expected, 5);
    expect(Math.abs(loss - unweighted)).toBeGreaterThan(1e-3);
    expect(() => new Trainer(model, docs, { steps: 1, seqLen: 16 }, weights.subarray(1))).toThrow(/639 token weights for 640 training tokens/);
  });

  it('rejects a sequence length that is not a multiple of the segment', () => {
    const model = TitansModel.create(config);
    models.push(model);
    expect(() => new Trainer(model, data, { steps: 1, seqLen: 12 })).toThrow(/multiple of the segment 8/);
  });
});
