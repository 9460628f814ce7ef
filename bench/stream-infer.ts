/**
 * Bench: streaming inference of a trained model (the path of `titans-stream run --model`), against
 * the plain segment loop, interleaved in one process.
 *
 *   npx tsx bench/stream-infer.ts [--model models/default] [--records 300] [--chunk 128]
 *
 * - `stream`: `TitansStream.process` in calls of `--chunk` bytes of the sample logs (per-model
 *   constants, embedding and LM head batched per call, trailing one-token segments skipped).
 * - `plain`: the same stream computed segment by segment with `forwardSegment` (the training
 *   forward: no per-model constants, logits per segment, the unfinished segment recomputed each
 *   call) — the shape of the implementation before the inference path was optimised.
 *
 * Both paths score the same calls, interleaved call by call (alternating which goes first), so
 * they see the same machine load. Prints one JSON line: bytes/s of both after a short warm-up,
 * their ratio, TF.js kernels per call of each, and the largest relative difference between their
 * per-byte surprise.
 * These machines are shared and noisy: compare the ratio, not absolute rates across runs.
 */
import { parseArgs } from 'node:util';
import { loadCheckpointDirectory } from '../connectors/fs/directory-checkpoint-store.js';
import { disposeState, forwardSegment, initialState, stateTensors } from '../src/model/index.js';
import type { ModelState, TitansModel } from '../src/model/index.js';
import { sampleLogLines } from '../src/sample/index.js';
import { initBackend, tf } from '../src/tensor/index.js';
import { ByteTokenizer } from '../src/tokenize/index.js';

const { values } = parseArgs({
  options: {
    model: { type: 'string', default: 'models/default' },
    records: { type: 'string', default: '300' },
    chunk: { type: 'string', default: '128' },
  },
  strict: true,
});
const num = (name: 'records' | 'chunk') => {
  const n = Number(values[name]);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, got "${values[name]}"`);
  return n;
};
const chunk = num('chunk');

const backend = await initBackend();
const { model } = await loadCheckpointDirectory(values.model, { optimizer: false });
const text = [...sampleLogLines({ count: num('records'), seed: 0 })].map((l) => l.line + '\n').join('');
const tokens = new ByteTokenizer().encode(text);

/** A stream scored the plain way: every call recomputes the unfinished segment, segment by segment. */
class PlainStream {
  private state: ModelState;
  private pending: Int32Array;
  private next: number[] | undefined;

  constructor(private readonly m: TitansModel) {
    this.state = initialState(m.config, m.tensors, 1);
    this.pending = Int32Array.of(m.config.bosId);
  }

  process(ids: Int32Array): number[] {
    const { config } = this.m;
    const all = Int32Array.from([...this.pending, ...ids]);
    const p = this.pending.length;
    const rows: number[][] = [];
    for (let a = 0; a < all.length; a += config.segment) {
      const e = Math.min(a + config.segment, all.length);
      const update = e - a === config.segment;
      let after: ModelState | undefined;
      tf.tidy(() => {
        const r = forwardSegment(config, this.m.tensors, this.state, tf.tensor1d(all.subarray(a, e), 'int32'), update);
        if (r.state) stateTensors(r.state).forEach((t) => tf.keep(t));
        after = r.state;
        rows.push(...(tf.logSoftmax(r.logits).arraySync() as number[][]));
      });
      if (after) {
        disposeState(this.state);
        this.state = after;
      }
    }
    const nll = Array.from(ids, (t, i) => {
      const row = p + i - 1 >= 0 ? rows[p + i - 1] : this.next;
      return -((row as number[])[t] as number);
    });
    this.next = rows[rows.length - 1];
    this.pending = all.slice(Math.floor(all.length / config.segment) * config.segment);
    return nll;
  }

  dispose(): void {
    disposeState(this.state);
  }
}

const stream = model.stream();
const plain = new PlainStream(model);
const run = {
  stream: async (ids: Int32Array) => Array.from((await stream.process(ids)).nll),
  plain: (ids: Int32Array) => Promise.resolve(plain.process(ids)),
};
const seconds = { stream: 0, plain: 0 };
const kernels = { stream: 0, plain: 0 };
const outputs = { stream: [] as number[], plain: [] as number[] };
const calls = Math.floor(tokens.length / chunk);
const warmUp = Math.min(4, calls - 1);
// Call by call, alternating which path goes first, so that both see the same machine load; the
// first calls warm up (JIT, WASM, operator caches) and the last warm-up call counts kernels.
for (let c = 0; c < calls; c++) {
  const ids = tokens.subarray(c * chunk, (c + 1) * chunk);
  for (const which of c % 2 === 0 ? (['plain', 'stream'] as const) : (['stream', 'plain'] as const)) {
    const t0 = performance.now();
    if (c === warmUp - 1) kernels[which] = (await tf.profile(async () => void outputs[which].push(...(await run[which](ids))))).kernels.length;
    else outputs[which].push(...(await run[which](ids)));
    if (c >= warmUp) seconds[which] += (performance.now() - t0) / 1000;
  }
}
const maxRelDiff = outputs.plain.reduce((worst, x, i) => Math.max(worst, Math.abs(x - (outputs.stream[i] as number)) / Math.max(1, Math.abs(x))), 0);
const bytes = (calls - warmUp) * chunk;
process.stdout.write(
  JSON.stringify({
    bench: 'stream-infer',
    backend,
    model: values.model,
    arch: model.config.arch,
    chunk,
    bytes,
    streamBytesPerSec: Math.round(bytes / seconds.stream),
    plainBytesPerSec: Math.round(bytes / seconds.plain),
    ratio: Number((seconds.plain / seconds.stream).toFixed(2)),
    kernelsPerCall: kernels,
    maxRelDiff,
    compared: outputs.stream.length,
  }) + '\n',
);
stream.dispose();
plain.dispose();
model.dispose();
