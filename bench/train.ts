/**
 * Bench: training and inference throughput of every model variant at one small size, and the
 * speed-up of the explicit-transpose matmul gradient — all measured in the same run.
 *
 *   npx tsx bench/train.ts [--dim 64] [--layers 2] [--segment 32] [--batch 4] [--seq-len 128] [--steps 3]
 *
 * One JSON line per measurement:
 * - `{"bench":"matmul-grad",…}`: GFLOP/s of forward + backward through `tf.matMul` (tfjs's
 *   gradient uses the transposeA/B flags, slow on WASM) and through `matMul2d` (customGrad with
 *   explicit transposes), on a square shape and on the model's projection shape; `ratio` = custom ÷ plain.
 * - `{"bench":"train",…}`: tokens/s of full training steps (forward, backward through every
 *   memory update, clipping, AdamW) per variant, plus MAC with recomputation.
 * - `{"bench":"inference",…}`: tokens/s of streaming inference (TitansStream.process in calls of
 *   256 tokens, nll for every token) per variant.
 * - `{"bench":"summary",…}`: the ratios of each variant's training rate to the SWA baseline's.
 *
 * These machines are shared and noisy: compare ratios from one run, not absolute rates across runs.
 */
import { parseArgs } from 'node:util';
import { TitansModel, Trainer, matMul2d } from '../src/model/index.js';
import type { Arch, TitansModelConfig } from '../src/model/index.js';
import { SeededRandom } from '../src/random/index.js';
import { initBackend, tf } from '../src/tensor/index.js';
import type { Tensor, Tensor2D } from '../src/tensor/index.js';
import { ProgressLine } from '../cli/progress.js';

const { values } = parseArgs({
  options: {
    dim: { type: 'string', default: '64' },
    layers: { type: 'string', default: '2' },
    segment: { type: 'string', default: '32' },
    batch: { type: 'string', default: '4' },
    'seq-len': { type: 'string', default: '128' },
    steps: { type: 'string', default: '3' },
    'infer-tokens': { type: 'string', default: '1024' },
  },
  strict: true,
});
const num = (name: keyof typeof values) => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${values[name]}"`);
  return n;
};
const dim = num('dim');
const layers = num('layers');
const segment = num('segment');
const batch = num('batch');
const seqLen = num('seq-len');
const steps = num('steps');
const inferTokens = num('infer-tokens');

const emit = (line: object): void => void process.stdout.write(JSON.stringify(line) + '\n');
const backend = await initBackend();

/** Best-of-`reps` seconds of `f`, after one warm-up call. */
async function time(f: () => Promise<void> | void, reps: number): Promise<number> {
  await f();
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await f();
    best = Math.min(best, (performance.now() - t0) / 1000);
  }
  return best;
}

// --- matmul gradient: tfjs's (transposed-flag) vs ours (explicit transposes), same shapes, same run.
const rng = new SeededRandom(1);
const rand = (r: number, c: number) => tf.tensor2d(rng.fillNormal(new Float32Array(r * c)), [r, c]);
for (const [m, k, n] of [
  [256, 256, 256],
  [batch * segment, dim, 3 * dim],
] as const) {
  const a = rand(m, k);
  const b = rand(k, n);
  const run = (mm: (x: Tensor2D, y: Tensor2D) => Tensor2D) => () => {
    tf.tidy(() => {
      const grads = tf.grads((x: Tensor, y: Tensor) => tf.sum(mm(x as Tensor2D, y as Tensor2D)))([a, b]);
      grads.forEach((g) => g.dataSync());
    });
  };
  const flops = 3 * 2 * m * k * n; // forward + two gradient matmuls
  const plain = await time(run((x, y) => tf.matMul(x, y)), 5);
  const custom = await time(run(matMul2d), 5);
  emit({ bench: 'matmul-grad', backend: backend.name, shape: [m, k, n], plainGflops: flops / plain / 1e9, customGflops: flops / custom / 1e9, ratio: plain / custom });
  tf.dispose([a, b]);
}

// --- training and inference per variant.
const variants: { name: string; arch: Arch; memory?: TitansModelConfig['memory']; recompute?: boolean }[] = [
  { name: 'swa', arch: 'swa' },
  { name: 'mac', arch: 'mac' },
  { name: 'mag', arch: 'mag' },
  { name: 'mal', arch: 'mal' },
  { name: 'lmm', arch: 'lmm' },
  { name: 'mac-linear', arch: 'mac', memory: { depth: 1 } },
  { name: 'lmm-linear', arch: 'lmm', memory: { depth: 1 } },
  { name: 'mac-recompute', arch: 'mac', recompute: true },
];
const data = Int32Array.from({ length: 20_000 }, () => rng.nextInt(256));
const trainRates = new Map<string, number>();
const progress = new ProgressLine(process.stderr);
for (const [index, v] of variants.entries()) {
  progress.update(`bench:train ${index + 1}/${variants.length}: ${v.name}`, true);
  const model = TitansModel.create({ arch: v.arch, dim, layers, heads: 4, segment, window: 2 * segment, ...(v.memory ? { memory: v.memory } : {}) });
  const trainer = new Trainer(model, data, { steps: 1000, batch, seqLen, recompute: v.recompute ?? false });
  const before = tf.memory().numTensors;
  const seconds = await time(async () => {
    for (let i = 0; i < steps; i++) await trainer.next();
  }, 1);
  const tokensPerSec = (steps * batch * seqLen) / seconds;
  trainRates.set(v.name, tokensPerSec);
  progress.done();
  emit({ bench: 'train', variant: v.name, backend: backend.name, dim, layers, segment, batch, seqLen, parameters: model.parameterCount, tokensPerSec, secondsPerStep: seconds / steps, numTensorsGrowth: tf.memory().numTensors - before });
  trainer.dispose();
  if (!v.recompute) {
    const tokens = data.subarray(0, inferTokens);
    const inferSeconds = await time(async () => {
      const stream = model.stream();
      for (let i = 0; i < tokens.length; i += 256) await stream.process(tokens.subarray(i, i + 256));
      stream.dispose();
    }, 1);
    progress.done();
    emit({ bench: 'inference', variant: v.name, backend: backend.name, callTokens: 256, tokens: tokens.length, tokensPerSec: tokens.length / inferSeconds });
  }
  model.dispose();
}
const base = trainRates.get('swa') as number;
emit({ bench: 'summary', trainRateVsSwa: Object.fromEntries([...trainRates].map(([k, r]) => [k, r / base])) });
