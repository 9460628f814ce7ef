import { ConfigError, InputError } from '../errors/index.js';
import { SeededRandom } from '../random/index.js';
import type { SeededRandomState } from '../random/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { AdamW } from './adamw.js';
import type { AdamWState } from './adamw.js';
import { cropRows, randomStarts } from './batch-sampler.js';
import { clipByGlobalNorm } from './clip-by-global-norm.js';
import { learningRate } from './lr-schedule.js';
import { disposeState } from './model-state.js';
import { lossAndGradients } from './sequence-loss.js';
import type { StreamStart } from './sequence-loss.js';
import type { TitansModel } from './titans-model.js';

/** Options of a {@link Trainer}. */
export interface TrainerOptions {
  /** Total optimizer steps (the schedule's length). */
  readonly steps: number;
  /** Sequences per step (default 8). */
  readonly batch?: number;
  /** Tokens per sequence, a multiple of the model's segment (default 4 segments). */
  readonly seqLen?: number;
  /** Peak learning rate (default 3e-3). */
  readonly lr?: number;
  /** Warm-up steps (default min(100, steps / 10)). */
  readonly warmup?: number;
  /** Final learning rate as a fraction of the peak (default 0.1). */
  readonly minLrRatio?: number;
  /** Decoupled weight decay of matrices (default 0.1). */
  readonly weightDecay?: number;
  /** Largest global gradient norm (default 1). */
  readonly clipNorm?: number;
  /** Adam β1 (default 0.9). */
  readonly beta1?: number;
  /** Adam β2 (default 0.95). */
  readonly beta2?: number;
  /** Seed of the batch sampler (default 0). */
  readonly seed?: number | string;
  /** Recompute segments in the backward pass instead of keeping their activations (default false). */
  readonly recompute?: boolean;
  /**
   * Consecutive windows of `seqLen` tokens read from each of the `batch` streams before they
   * restart at new random places (default 1: every sequence starts a fresh stream). Above 1, the
   * state at the end of a step (memories, momentum, attention caches) is where the next step's
   * sequences start — carried, but detached (truncated backpropagation through time) — so the
   * model learns to read streams `streamWindows × seqLen` tokens long, not only short ones from a
   * fresh memory. The carried state is not part of {@link TrainerState}: a resumed run starts new streams.
   */
  readonly streamWindows?: number;
  /**
   * Sequences (and streams) start only at multiples of this many tokens (default 1: anywhere).
   * For data made of documents of equal length: with `align` = `seqLen` every sequence is one
   * whole document, so no document is cut between its question and its answer.
   */
  readonly align?: number;
}

/** {@link TrainerOptions} with defaults filled in. */
export type ResolvedTrainerOptions = Required<TrainerOptions>;

/** One step's numbers. */
export interface TrainStep {
  /** Steps done, this one included. */
  readonly step: number;
  /** Mean cross-entropy of the batch before the update, nats per token. */
  readonly loss: number;
  /** Global gradient norm before clipping. */
  readonly gradNorm: number;
  /** Learning rate used. */
  readonly lr: number;
  /** Tokens in the batch. */
  readonly tokens: number;
}

/** Everything that continues a training run besides the model weights. */
export interface TrainerState {
  readonly options: ResolvedTrainerOptions;
  readonly optimizer: AdamWState;
  readonly rng: SeededRandomState;
}

function resolve(options: TrainerOptions, segment: number): ResolvedTrainerOptions {
  const int = (v: number, field: string, min: number) => {
    if (!Number.isSafeInteger(v) || v < min) throw new ConfigError(field, `must be an integer ≥ ${min}, got ${String(v)}`);
    return v;
  };
  const num = (v: number, field: string, lo: number, hi: number) => {
    if (!Number.isFinite(v) || v < lo || v > hi) throw new ConfigError(field, `must be a number in [${lo}, ${hi}], got ${String(v)}`);
    return v;
  };
  const steps = int(options.steps, 'steps', 1);
  const seqLen = int(options.seqLen ?? 4 * segment, 'seqLen', segment);
  if (seqLen % segment !== 0) throw new ConfigError('seqLen', `must be a multiple of the segment ${segment}, got ${seqLen}`);
  return {
    steps,
    batch: int(options.batch ?? 8, 'batch', 1),
    seqLen,
    lr: num(options.lr ?? 3e-3, 'lr', 0, 10),
    warmup: int(options.warmup ?? Math.min(100, Math.floor(steps / 10)), 'warmup', 0),
    minLrRatio: num(options.minLrRatio ?? 0.1, 'minLrRatio', 0, 1),
    weightDecay: num(options.weightDecay ?? 0.1, 'weightDecay', 0, 10),
    clipNorm: num(options.clipNorm ?? 1, 'clipNorm', 0, Infinity),
    beta1: num(options.beta1 ?? 0.9, 'beta1', 0, 1),
    beta2: num(options.beta2 ?? 0.95, 'beta2', 0, 1),
    seed: options.seed ?? 0,
    recompute: options.recompute ?? false,
    streamWindows: int(options.streamWindows ?? 1, 'streamWindows', 1),
    align: int(options.align ?? 1, 'align', 1),
  };
}

/** The streams a stateful trainer is reading: where each started, how far it got, its state. */
interface OpenStreams {
  readonly starts: readonly number[];
  /** Windows read so far. */
  window: number;
  /** The state after the last window and the last token each stream read (none before the first window). */
  start: StreamStart | undefined;
}

/**
 * Outer-loop training of a {@link TitansModel} on a token array: seeded random crops, full
 * backpropagation through every segment and memory update ({@link lossAndGradients}), global-norm
 * clipping, AdamW with linear warm-up and cosine decay. Deterministic: the same model, data and
 * options give the same loss curve; {@link exportState} / {@link importState} continue a run
 * exactly.
 *
 * @example
 * ```ts
 * const trainer = new Trainer(model, data, { steps: 1000, batch: 8, seqLen: 128 });
 * while (trainer.step < 1000) console.log((await trainer.next()).loss);
 * trainer.dispose();
 * ```
 */
export class Trainer {
  /** The resolved options. */
  readonly options: ResolvedTrainerOptions;
  private readonly optimizer: AdamW;
  private rng: SeededRandom;
  private streams: OpenStreams | undefined;

  /**
   * @param model - The model to train (its weights are updated in place).
   * @param data - Training tokens (at least one sequence).
   * @param options - Schedule, batch and optimizer settings.
   * @param weights - The loss weight of each token of `data` as a target (default all 1; see
   *   the `weights` of {@link lossAndGradients}): e.g. 1 on a task's answers and less on the rest.
   * @throws {@link ConfigError} for invalid options; {@link InputError} `ERR_DATA` for too little
   *   data or weights that do not go with it.
   */
  constructor(
    private readonly model: TitansModel,
    private readonly data: Int32Array,
    options: TrainerOptions,
    private readonly weights?: Float32Array,
  ) {
    this.options = resolve(options, model.config.segment);
    const streamLength = this.options.seqLen * this.options.streamWindows;
    if (data.length < streamLength) throw new InputError('ERR_DATA', `training data has ${data.length} tokens, fewer than one stream of ${streamLength} (seqLen × streamWindows)`);
    if (weights !== undefined && weights.length !== data.length) throw new InputError('ERR_DATA', `${weights.length} token weights for ${data.length} training tokens`);
    this.optimizer = new AdamW(model.weights, { beta1: this.options.beta1, beta2: this.options.beta2, weightDecay: this.options.weightDecay });
    this.rng = new SeededRandom(this.options.seed);
  }

  /** Steps done. */
  get step(): number {
    return this.optimizer.step;
  }

  /**
   * Samples a batch, computes loss and gradients, clips and applies one AdamW update.
   *
   * @example
   * ```ts
   * const { loss, gradNorm, lr } = await trainer.next();
   * ```
   * @returns The step's numbers.
   */
  async next(): Promise<TrainStep> {
    const o = this.options;
    const stateful = o.streamWindows > 1;
    const { starts, offset } = stateful ? this.nextWindows() : { starts: randomStarts(o.batch, this.data.length, o.seqLen, this.rng, o.align), offset: 0 };
    const tokens = cropRows(this.data, starts, offset, o.seqLen);
    const weights = this.weights && cropRows(this.weights, starts, offset, o.seqLen);
    const lr = learningRate({ peak: o.lr, warmup: o.warmup, total: o.steps, minRatio: o.minLrRatio }, this.optimizer.step);
    const start = this.streams?.start;
    const { loss, grads, state } = lossAndGradients(this.model.config, this.model.tensors, tokens, o.batch, { recompute: o.recompute, carry: stateful, ...(start ? { start } : {}), ...(weights ? { weights } : {}) });
    if (this.streams && state) {
      if (start) disposeState(start.state);
      this.streams.start = { state, previous: Int32Array.from({ length: o.batch }, (_, b) => tokens[(b + 1) * o.seqLen - 1] as number) };
      this.streams.window += 1;
    }
    let clipped: { grads: Record<string, Tensor>; norm: Tensor } | undefined;
    try {
      clipped = clipByGlobalNorm(grads, o.clipNorm);
      this.optimizer.apply(clipped.grads, lr);
      const [lossValue, norm] = [(await loss.data())[0] as number, (await clipped.norm.data())[0] as number];
      return { step: this.optimizer.step, loss: lossValue, gradNorm: norm, lr, tokens: tokens.length };
    } finally {
      tf.dispose([loss, ...Object.values(grads), ...(clipped ? [clipped.norm, ...Object.values(clipped.grads)] : [])]);
    }
  }

  /** Where the next window of every open stream starts, opening new streams when they are read to the end. */
  private nextWindows(): { starts: readonly number[]; offset: number } {
    const { batch, seqLen, streamWindows, align } = this.options;
    if (this.streams === undefined || this.streams.window === streamWindows) {
      this.closeStreams();
      this.streams = { starts: randomStarts(batch, this.data.length, seqLen * streamWindows, this.rng, align), window: 0, start: undefined };
    }
    return { starts: this.streams.starts, offset: this.streams.window * seqLen };
  }

  private closeStreams(): void {
    if (this.streams?.start) disposeState(this.streams.start.state);
    this.streams = undefined;
  }

  /**
   * The optimizer moments, step count, sampler state and options (for a checkpoint).
   *
   * @example
   * ```ts
   * const state = await trainer.exportState();
   * ```
   * @returns The state.
   */
  async exportState(): Promise<TrainerState> {
    return { options: this.options, optimizer: await this.optimizer.exportState(), rng: this.rng.getState() };
  }

  /**
   * Continues from an exported state (the model weights are restored separately).
   *
   * @example
   * ```ts
   * trainer.importState(saved);
   * ```
   * @param state - From {@link exportState}.
   * @throws {@link InputError} `ERR_OPTIMIZER` when the optimizer state does not fit the model.
   */
  importState(state: TrainerState): void {
    this.optimizer.importState(state.optimizer);
    this.rng = SeededRandom.fromState(state.rng);
    this.closeStreams();
  }

  /** Frees the optimizer state and the carried streams (not the model). */
  dispose(): void {
    this.closeStreams();
    this.optimizer.dispose();
  }
}
