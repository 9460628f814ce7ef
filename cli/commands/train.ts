import { mkdir } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { readArrowRecords } from '../../connectors/arrow/index.js';
import { DirectoryCheckpointStore } from '../../connectors/fs/index.js';
import { readTextRecords } from '../../connectors/text/index.js';
import { ARCHS, CHECKPOINT_FILES, TitansModel, Trainer, evaluateStream, loadCheckpoint, saveCheckpoint } from '../../src/model/index.js';
import type { Arch, TrainerOptions, TrainerState } from '../../src/model/index.js';
import { BACKEND_NAMES, initBackend } from '../../src/tensor/index.js';
import type { BackendChoice } from '../../src/tensor/index.js';
import { BYTE_VOCAB_SIZE } from '../../src/tokenize/index.js';
import type { Command, CommandContext } from '../command.js';
import { choiceOption, intOption, numberOption } from '../options.js';
import { formatDuration, formatRate, ProgressLine } from '../progress.js';
import { parseEndpoint } from '../source-spec.js';
import { UsageError } from '../usage-error.js';

const USAGE = `Usage: titans-stream train --data <spec> --arch <arch> --out <dir> [options]
       titans-stream train --data <spec> --out <dir> --resume

Trains a Titans language model on bytes and writes checkpoints (docs/checkpoint-format.md).
The tail of the data is held out; its bits per byte are measured with the model reading it
as one stream.

Data:
  --data <spec>          text:<file> (lines, joined by newlines) or arrow:<file>[#column]
                         (a text column, joined by newlines, or a token column; default column "text")
  --holdout <fraction>   tail of the data held out for evaluation (default 0.05)
  --eval-tokens <n>      held-out tokens scored per evaluation (default 8192)

Model (ignored with --resume):
  --arch <arch>          ${ARCHS.join(' | ')}
  --dim <n>              width (default 64)        --layers <n>       blocks (default 2)
  --heads <n>            attention heads (default 4)
  --segment <n>          tokens per segment / memory chunk (default 32)
  --window <n>           sliding-window length (default 64)
  --persistent <n>       persistent tokens (default 4)
  --memory-depth <n>     memory layers; 1 = linear memory (default 2)

Training (ignored with --resume):
  --steps <n>            optimizer steps (default 1000)
  --batch <n>            sequences per step (default 8)
  --seq-len <n>          tokens per sequence, a multiple of the segment (default 4 segments)
  --lr <x>               peak learning rate (default 0.003)
  --warmup <n>           warm-up steps (default min(100, steps/10))
  --seed <n>             seed of the weights and the batches (default 0)
  --recompute            recompute segments in the backward pass (less memory, ~1.3x time)
  --stream-windows <n>   read each sequence's stream for n consecutive windows of --seq-len,
                         the state carried between steps but detached (truncated BPTT), so the
                         model learns streams n × seq-len long (default 1: fresh sequences)

Output:
  --out <dir>            checkpoint directory (created; must not hold a checkpoint unless --resume)
  --resume               continue the run saved in --out (weights, optimizer, sampler)
  --eval-every <n>       steps between held-out evaluations (default 100)
  --checkpoint-every <n> steps between checkpoints (default: --eval-every); one is also written at the end
  --log-every <n>        steps between JSON step lines when not on a terminal (default 10)
  --backend <name>       auto | ${BACKEND_NAMES.join(' | ')} (default: TITANS_BACKEND or auto)
  --progress             force the progress line on (default: only on a terminal)
  -h, --help             this help

On a terminal a progress line shows step, loss, tokens/s and ETA; otherwise one JSON object per
line: {"type":"start"…}, {"type":"step"…}, {"type":"eval"…}, {"type":"checkpoint"…}, {"type":"done"…}.`;

const MODEL_FLAGS = ['arch', 'dim', 'layers', 'heads', 'segment', 'window', 'persistent', 'memory-depth'] as const;
const RUN_FLAGS = ['steps', 'batch', 'seq-len', 'lr', 'warmup', 'seed', 'recompute', 'stream-windows'] as const;

/** 64-bit FNV-1a of the tokens as hex (detects a different data set on resume). */
function checksum(tokens: Int32Array): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x050c5d1f;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as number;
    h1 = Math.imul(h1 ^ t, 0x01000193);
    h2 = Math.imul(h2 ^ (t + i), 0x01000193);
  }
  return (h1 >>> 0).toString(16).padStart(8, '0') + (h2 >>> 0).toString(16).padStart(8, '0');
}

/** All tokens of the data spec: text lines (or an Arrow text column) as UTF-8 bytes joined by newlines, or an Arrow token column as is. */
async function readData(spec: string, signal: AbortSignal): Promise<Int32Array> {
  const source = parseEndpoint('data', spec, ['text', 'arrow']);
  if (source.target === '') throw new UsageError(`--data ${spec}: needs a file, e.g. text:corpus.txt or arrow:data.arrows#text`);
  const chunks: Int32Array[] = [];
  let total = 0;
  const push = (t: Int32Array) => {
    chunks.push(t);
    total += t.length;
  };
  const newline = Int32Array.of(10);
  if (source.kind === 'text') {
    for await (const record of readTextRecords(source.target, { encoding: 'bytes', signal })) {
      push(Int32Array.from(record.value as Uint8Array));
      push(newline);
    }
  } else {
    const hash = source.target.lastIndexOf('#');
    const [file, column] = hash > 0 ? [source.target.slice(0, hash), source.target.slice(hash + 1)] : [source.target, 'text'];
    const encoder = new TextEncoder();
    for await (const record of readArrowRecords(file, { column, signal })) {
      if (record.tokens) {
        const bad = record.tokens.findIndex((t) => t < 0 || t >= BYTE_VOCAB_SIZE);
        if (bad >= 0) throw new UsageError(`--data ${spec}: token ${record.tokens[bad]} in batch ${(record.position as { batch: number }).batch}, row ${(record.position as { row: number }).row} is outside the byte vocabulary [0, ${BYTE_VOCAB_SIZE})`);
        push(record.tokens);
      } else {
        push(Int32Array.from(typeof record.value === 'string' ? encoder.encode(record.value) : record.value));
        push(newline);
      }
    }
  }
  const out = new Int32Array(total);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Entropy of the byte frequencies of `tokens`, bits per token: what a context-free model can reach. */
function unigramBits(tokens: Int32Array): number {
  const counts = new Map<number, number>();
  for (const t of tokens) counts.set(t, (counts.get(t) ?? 0) + 1);
  let h = 0;
  for (const c of counts.values()) h -= (c / tokens.length) * Math.log2(c / tokens.length);
  return h;
}

/** `titans-stream train`: outer-loop training with checkpoints and held-out evaluation. */
export const trainCommand: Command = {
  name: 'train',
  summary: 'train a Titans model (MAC, MAG, MAL, LMM) or the SWA baseline on text or Arrow data',
  usage: USAGE,
  async run(context: CommandContext): Promise<number> {
    const { values } = parseArgs({
      args: context.args,
      strict: true,
      options: {
        data: { type: 'string' },
        holdout: { type: 'string' },
        'eval-tokens': { type: 'string' },
        arch: { type: 'string' },
        dim: { type: 'string' },
        layers: { type: 'string' },
        heads: { type: 'string' },
        segment: { type: 'string' },
        window: { type: 'string' },
        persistent: { type: 'string' },
        'memory-depth': { type: 'string' },
        steps: { type: 'string' },
        batch: { type: 'string' },
        'seq-len': { type: 'string' },
        lr: { type: 'string' },
        warmup: { type: 'string' },
        seed: { type: 'string' },
        recompute: { type: 'boolean' },
        'stream-windows': { type: 'string' },
        out: { type: 'string' },
        resume: { type: 'boolean', default: false },
        'eval-every': { type: 'string' },
        'checkpoint-every': { type: 'string' },
        'log-every': { type: 'string' },
        backend: { type: 'string' },
        progress: { type: 'boolean' },
      },
    });
    if (values.data === undefined) throw new UsageError('--data is required (text:<file> or arrow:<file>[#column])');
    if (values.out === undefined) throw new UsageError('--out is required (the checkpoint directory)');
    const out = values.out;
    if (values.resume) {
      const given = [...MODEL_FLAGS, ...RUN_FLAGS].filter((f) => values[f] !== undefined);
      if (given.length > 0) throw new UsageError(`--resume continues the saved run; drop ${given.map((f) => `--${f}`).join(', ')}`);
    } else if (values.arch === undefined) {
      throw new UsageError(`--arch is required (${ARCHS.join(', ')})`);
    }
    const holdout = numberOption('holdout', values.holdout, 0.05, 0, 0.5);
    const evalTokens = intOption('eval-tokens', values['eval-tokens'], 8192, 1);
    const evalEvery = intOption('eval-every', values['eval-every'], 100, 1);
    const checkpointEvery = intOption('checkpoint-every', values['checkpoint-every'], evalEvery, 1);
    const logEvery = intOption('log-every', values['log-every'], 10, 1);
    const backendChoice = values.backend === undefined ? undefined : choiceOption<BackendChoice>('backend', values.backend, ['auto', ...BACKEND_NAMES], 'auto');
    const segment = intOption('segment', values.segment, 32, 1, 4096);
    const modelConfig = {
      arch: choiceOption<Arch>('arch', values.arch, ARCHS, 'mac'),
      dim: intOption('dim', values.dim, 64, 2, 65_536),
      layers: intOption('layers', values.layers, 2, 1, 1024),
      heads: intOption('heads', values.heads, 4, 1, 1024),
      segment,
      window: intOption('window', values.window, 64, 1, 1 << 20),
      persistent: intOption('persistent', values.persistent, 4, 0, 4096),
      memory: { depth: intOption('memory-depth', values['memory-depth'], 2, 1, 16) },
      seed: intOption('seed', values.seed, 0, 0),
    };
    const steps = intOption('steps', values.steps, 1000, 1);
    const runOptions: TrainerOptions = {
      steps,
      batch: intOption('batch', values.batch, 8, 1, 1 << 16),
      seqLen: intOption('seq-len', values['seq-len'], 4 * segment, 1, 1 << 24),
      lr: numberOption('lr', values.lr, 3e-3, 0, 10),
      ...(values.warmup !== undefined ? { warmup: intOption('warmup', values.warmup, 0, 0) } : {}),
      seed: modelConfig.seed,
      recompute: values.recompute ?? false,
      streamWindows: intOption('stream-windows', values['stream-windows'], 1, 1, 1 << 20),
    };
    const backend = await initBackend(backendChoice === undefined ? { env: context.env } : { backend: backendChoice, env: context.env });

    const tokens = await readData(values.data, context.signal);
    const heldCount = Math.floor(tokens.length * holdout);
    const train = tokens.subarray(0, tokens.length - heldCount);
    const heldOut = tokens.subarray(tokens.length - heldCount, tokens.length - heldCount + Math.min(heldCount, evalTokens));
    const dataInfo = { data: values.data, dataTokens: tokens.length, dataChecksum: checksum(tokens), trainTokens: train.length, heldOutTokens: heldCount };

    const store = new DirectoryCheckpointStore(out);
    await mkdir(out, { recursive: true });
    let model: TitansModel;
    let trainer: Trainer;
    let elapsedBefore = 0;
    if (values.resume) {
      const loaded = await loadCheckpoint(store);
      if (!loaded.trainer) {
        loaded.model.dispose();
        throw new UsageError(`--resume: ${out} holds a checkpoint without training state`);
      }
      const extra = loaded.manifest.training?.extra ?? {};
      if (extra['dataChecksum'] !== dataInfo.dataChecksum || extra['dataTokens'] !== dataInfo.dataTokens) {
        loaded.model.dispose();
        throw new UsageError(`--resume: --data ${values.data} is not the data of the saved run (${String(extra['data'])}, ${String(extra['dataTokens'])} tokens)`);
      }
      model = loaded.model;
      trainer = new Trainer(model, train, loaded.trainer.options);
      trainer.importState(loaded.trainer as TrainerState);
      elapsedBefore = typeof extra['elapsedSeconds'] === 'number' ? extra['elapsedSeconds'] : 0;
    } else {
      if ((await store.read(CHECKPOINT_FILES.config)) !== undefined) throw new UsageError(`--out ${out} already holds a checkpoint; pass --resume to continue it or choose another directory`);
      model = TitansModel.create(modelConfig);
      trainer = new Trainer(model, train, runOptions);
    }

    const tty = context.stderr.isTTY === true;
    const progress = new ProgressLine(context.stderr, values.progress);
    const emit = (line: Record<string, unknown>) => {
      if (!tty) context.stdout.write(JSON.stringify(line) + '\n');
    };
    const say = (text: string) => {
      if (tty) {
        progress.done();
        context.stdout.write(text + '\n');
      }
    };
    const total = trainer.options.steps;
    const started = performance.now();
    const elapsed = () => elapsedBefore + (performance.now() - started) / 1000;
    const firstStep = trainer.step;
    let tokensDone = 0;
    let lastLoss = Number.NaN;
    const save = async () => {
      await saveCheckpoint(store, model, { trainer: await trainer.exportState(), extra: { ...dataInfo, elapsedSeconds: elapsed() } });
      emit({ type: 'checkpoint', step: trainer.step, dir: out });
    };
    const evaluate = async () => {
      if (heldOut.length === 0) return undefined;
      const e = await evaluateStream(model, heldOut, { signal: context.signal });
      emit({ type: 'eval', step: trainer.step, bitsPerByte: e.bits, tokens: e.tokens });
      say(`step ${trainer.step}: held-out ${e.bits.toFixed(3)} bits/byte over ${e.tokens} bytes`);
      return e.bits;
    };
    const unigram = unigramBits(train);
    emit({ type: 'start', arch: model.config.arch, parameters: model.parameterCount, backend: backend.name, step: trainer.step, steps: total, ...dataInfo, unigramBitsPerByte: unigram, config: model.config, options: trainer.options });
    say(`${model.config.arch}: ${model.parameterCount} parameters on ${backend.name}; ${train.length} training bytes, ${heldCount} held out; unigram ${unigram.toFixed(3)} bits/byte`);
    let bits: number | undefined;
    try {
      try {
        while (trainer.step < total && !context.signal.aborted) {
          const r = await trainer.next();
          tokensDone += r.tokens;
          lastLoss = r.loss;
          const seconds = (performance.now() - started) / 1000;
          const rate = tokensDone / seconds;
          const eta = ((total - r.step) * seconds) / (r.step - firstStep);
          progress.update(`step ${r.step}/${total}  loss ${r.loss.toFixed(3)}  ${formatRate(rate)} tokens  ETA ${formatDuration(eta)}`);
          if (r.step % logEvery === 0 || r.step === total) emit({ type: 'step', step: r.step, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm, tokensPerSec: rate, elapsedSeconds: elapsed() });
          if (r.step % evalEvery === 0 && r.step !== total) bits = await evaluate();
          if (r.step % checkpointEvery === 0 && r.step !== total) await save();
        }
        if (!context.signal.aborted) bits = await evaluate();
      } catch (error) {
        if (!context.signal.aborted) throw error;
      }
      await save();
      progress.done();
      if (context.signal.aborted) {
        context.stderr.write(`titans-stream: interrupted at step ${trainer.step}; checkpoint saved in ${out} (continue with --resume)\n`);
        return 130;
      }
    } finally {
      progress.done();
      trainer.dispose();
      model.dispose();
    }
    const summary = { type: 'done', step: total, loss: lastLoss, bitsPerByte: bits ?? null, unigramBitsPerByte: unigram, seconds: elapsed(), out };
    emit(summary);
    say(`done: step ${total}, loss ${lastLoss.toFixed(3)}, held-out ${bits === undefined ? '-' : bits.toFixed(3)} bits/byte (unigram ${unigram.toFixed(3)}), ${formatDuration(elapsed())}; checkpoint in ${out}`);
    return 0;
  },
};
