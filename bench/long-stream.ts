/**
 * Does an LMM trained on short sequences from a fresh memory hold up on long streams, and does
 * stateful truncated BPTT (`streamWindows`) help? Trains the same model twice on the sample logs
 * — once on independent sequences, once on consecutive windows of longer streams with the state
 * carried (detached) — with the same steps, batch, window and seed, then scores held-out log
 * streams of 4096 bytes read from their start: bits per byte over the first 512 bytes, over the
 * last 512 (bytes 3584–4095) and over all 4096. Prints one JSON line per model.
 *
 * Usage: npx tsx bench/long-stream.ts [--steps 300] [--batch 4] [--seq-len 128] [--windows 0,1,8] [--streams 3]
 * (`--windows`: the models to compare, by streamWindows; 0 = untrained, 1 = fresh sequences.)
 */
import { parseArgs } from 'node:util';
import { TitansModel, Trainer, type TitansModelConfig } from '../src/model/index.js';
import { sampleLogLines } from '../src/sample/index.js';
import { initBackend } from '../src/tensor/index.js';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    batch: { type: 'string', default: '4' },
    'seq-len': { type: 'string', default: '128' },
    windows: { type: 'string', default: '0,1,8' },
    streams: { type: 'string', default: '3' },
    dim: { type: 'string', default: '64' },
  },
});
const steps = Number(values.steps);
const batch = Number(values.batch);
const seqLen = Number(values['seq-len']);
const windowList = values.windows.split(',').map(Number);
if (windowList.some((w) => !Number.isSafeInteger(w) || w < 0)) throw new Error(`--windows ${values.windows}: give streamWindows values ≥ 0, e.g. 0,1,8`);
const streamCount = Number(values.streams);
const LONG = 4096;
const SHORT = 512;

const bytesOf = (count: number, seed: number): Int32Array => Int32Array.from(new TextEncoder().encode([...sampleLogLines({ count, seed })].map((l) => l.line).join('\n') + '\n'));
const train = bytesOf(8000, 1);
const heldOut = bytesOf(Math.ceil((streamCount * LONG) / 60) + 50, 2);
if (heldOut.length < streamCount * LONG) throw new Error(`held-out data has ${heldOut.length} bytes, fewer than ${streamCount} streams of ${LONG}`);
const config: TitansModelConfig = { arch: 'lmm', dim: Number(values.dim), layers: 2, segment: 32, seed: 0 };

const backend = await initBackend({});

/** Per-token nll (nats) of each held-out stream read from its start. */
async function score(model: TitansModel): Promise<{ short: number; tail: number; long: number }> {
  let short = 0;
  let tail = 0;
  let long = 0;
  for (let k = 0; k < streamCount; k++) {
    const stream = model.stream();
    try {
      const nll: number[] = [];
      const tokens = heldOut.subarray(k * LONG, (k + 1) * LONG);
      for (let i = 0; i < tokens.length; i += 1024) nll.push(...(await stream.process(tokens.subarray(i, i + 1024))).nll);
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length / Math.LN2;
      short += mean(nll.slice(0, SHORT));
      tail += mean(nll.slice(LONG - SHORT));
      long += mean(nll);
    } finally {
      stream.dispose();
    }
  }
  return { short: short / streamCount, tail: tail / streamCount, long: long / streamCount };
}

for (const streamWindows of windowList) {
  const model = TitansModel.create(config);
  const started = performance.now();
  let lastLoss = Number.NaN;
  if (streamWindows > 0) {
    const trainer = new Trainer(model, train, { steps, batch, seqLen, lr: 3e-3, seed: 0, streamWindows });
    try {
      while (trainer.step < steps) lastLoss = (await trainer.next()).loss;
    } finally {
      trainer.dispose();
    }
  }
  const trainSeconds = (performance.now() - started) / 1000;
  const bits = await score(model);
  model.dispose();
  console.log(
    JSON.stringify({
      bench: 'long-stream',
      backend: backend.name,
      model: streamWindows === 0 ? 'untrained' : streamWindows === 1 ? 'fresh sequences' : `stateful TBPTT, ${streamWindows} windows`,
      arch: config.arch,
      dim: config.dim,
      steps: streamWindows === 0 ? 0 : steps,
      batch,
      seqLen,
      streamWindows,
      trainTokens: streamWindows === 0 ? 0 : steps * batch * seqLen,
      lastTrainLoss: lastLoss,
      trainSeconds,
      heldOutStreams: streamCount,
      bitsPerByteFirst512: bits.short,
      bitsPerByteLast512Of4096: bits.tail,
      bitsPerByteAll4096: bits.long,
    }),
  );
}
