import { InputError } from '../errors/index.js';
import type { StateArray } from '../memory/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor, Tensor1D, Tensor2D } from '../tensor/index.js';
import { matMul2d } from './fast-matmul.js';
import { forwardHidden } from './forward.js';
import type { HiddenResult } from './forward.js';
import { buildState, disposeState, initialState, keepsCache, stateLayout, stateTensors } from './model-state.js';
import type { ModelState, StateSlot } from './model-state.js';
import type { TitansModel } from './titans-model.js';

/** Segments whose rows the LM head scores together (bounds a call's logits to this many segments). */
const HEAD_GROUP = 8;

/** Options of {@link TitansStream.process}. */
export interface TitansProcessOptions {
  /** Also return the k most probable next tokens after every token (default: none). */
  readonly topK?: number;
}

/** The k most probable next tokens after each token of a call. */
export interface TitansTopK {
  /** Candidates per token. */
  readonly k: number;
  /** `[n × k]` token ids, most probable first. */
  readonly ids: Int32Array;
  /** `[n × k]` their probabilities. */
  readonly probs: Float32Array;
}

/** Per-token outputs of one {@link TitansStream.process} call. */
export interface TitansStreamResult {
  /** Tokens in this call. */
  readonly count: number;
  /** Stream index of the call's first token (0 = the first token of the stream). */
  readonly firstIndex: number;
  /** `[n]` negative log-likelihood of each token given everything before it, in nats (÷ ln 2 for bits): the surprise. */
  readonly nll: Float32Array;
  /** Next-token candidates after each token, when asked for. */
  readonly topK?: TitansTopK;
}

/**
 * Everything a {@link TitansStream} needs to continue exactly where it stopped: per block the
 * memory weights and momentum (`l{i}.h{h}.w{l}`, `l{i}.h{h}.s{l}`, stored orientation: layer 0
 * `[in × out]`, later layers `[out × in]`) and the attention cache (`l{i}.keys`, `l{i}.values`,
 * rotated, `[cached × d]`); the log-probabilities of the next token (`next`, `[vocab]`); and the
 * tokens of the unfinished segment (`pending`, int32, the stream's BOS included at its start).
 */
export interface TitansStreamState {
  readonly format: 'titans-stream.model-state';
  readonly version: 1;
  /** Fingerprint of the model configuration that wrote it. */
  readonly fingerprint: string;
  /** Stream position of the first pending token (tokens of completed segments, BOS included). */
  readonly position: number;
  /** Tokens in the attention caches. */
  readonly cached: number;
  /** Tokens the stream has processed (BOS not counted). */
  readonly tokensSeen: number;
  readonly arrays: readonly StateArray[];
}

/**
 * One stream through a {@link TitansModel}: the recurrent state (every block's neural memory and
 * attention cache) plus the tokens of the segment in progress. Feed tokens in calls of any
 * length; each token comes back with its negative log-likelihood (surprise) and, if asked, the
 * most probable next tokens.
 *
 * The stream starts with the model's BOS token (not returned). Tokens are grouped into segments
 * of `config.segment`; the state advances when a segment completes. The tokens of an unfinished
 * segment stay pending and are recomputed together with the next call's tokens, so one call and
 * many calls split anywhere give the same outputs (up to float rounding) — at the price of
 * recomputing up to a segment per call (token-by-token calls cost about segment/2 times more).
 *
 * Tensor ownership: the stream owns its state until {@link dispose}; outputs are plain arrays.
 *
 * @example
 * ```ts
 * const stream = model.stream();
 * const a = await stream.process(tokenizer.encode('the cat '), { topK: 3 });
 * const b = await stream.process(tokenizer.encode('sat'));
 * a.nll; // nats per token
 * ```
 */
export class TitansStream {
  private state: ModelState;
  private pending: Int32Array;
  private next: Tensor1D | undefined;
  private seen = 0;
  private disposed = false;

  /** @param model - The model (use {@link TitansModel.stream}). */
  constructor(private readonly model: TitansModel) {
    this.state = initialState(model.config, model.tensors, 1);
    this.pending = Int32Array.of(model.config.bosId);
  }

  /** Tokens processed so far (BOS not counted). */
  get tokensSeen(): number {
    return this.seen;
  }

  private check(): void {
    if (this.disposed) throw new InputError('ERR_DISPOSED', 'this TitansStream has been disposed');
    this.model.check();
  }

  /**
   * Feeds tokens and returns each one's negative log-likelihood and (optionally) the next-token
   * candidates after it. Calls are applied in the order they are made.
   *
   * @example
   * ```ts
   * const { nll, topK } = await stream.process(Int32Array.from([104, 105]), { topK: 5 });
   * ```
   * @param tokens - Token ids in [0, vocabSize).
   * @param options - Top-k candidates.
   * @returns Per-token outputs.
   * @throws {@link InputError} `ERR_TOKEN` for an id outside the vocabulary (nothing is consumed then); `ERR_DISPOSED` after dispose.
   */
  async process(tokens: Int32Array, options: TitansProcessOptions = {}): Promise<TitansStreamResult> {
    this.check();
    const { vocabSize } = this.model.config;
    const k = options.topK ?? 0;
    if (!Number.isInteger(k) || k < 0 || k > vocabSize) throw new InputError('ERR_TOP_K', `topK must be an integer in [0, ${vocabSize}], got ${String(options.topK)}`);
    tokens.forEach((t, i) => {
      if (!(t >= 0 && t < vocabSize)) throw new InputError('ERR_TOKEN', `token ${t} at index ${i} of the call is outside the vocabulary [0, ${vocabSize})`);
    });
    const firstIndex = this.seen;
    const n = tokens.length;
    if (n === 0) return { count: 0, firstIndex, nll: new Float32Array(0), ...(k > 0 ? { topK: { k, ids: new Int32Array(0), probs: new Float32Array(0) } } : {}) };
    const out = this.step(tokens, k);
    try {
      const nll = (await out.nll.data()) as Float32Array;
      const topK = out.topIds && out.topProbs ? { k, ids: (await out.topIds.data()) as Int32Array, probs: (await out.topProbs.data()) as Float32Array } : undefined;
      return { count: n, firstIndex, nll, ...(topK ? { topK } : {}) };
    } finally {
      tf.dispose([out.nll, out.topIds, out.topProbs].filter((t): t is Tensor => t !== undefined));
    }
  }

  /**
   * The synchronous part of {@link process}: embeds the call's tokens with one lookup, runs the
   * segments one at a time through the blocks, and scores their rows with the LM head in groups
   * of up to {@link HEAD_GROUP} segments (so memory stays bounded whatever the call's length);
   * commits the state; returns output tensors.
   *
   * A trailing segment of a single token only yields the prediction after the call's last token.
   * Without top-k it is skipped: that token is pending and recomputed by the next call anyway,
   * and {@link exportState} recomputes the prediction if asked for it.
   */
  private step(tokens: Int32Array, k: number): { nll: Tensor1D; topIds: Tensor | undefined; topProbs: Tensor | undefined } {
    const { config } = this.model;
    const constants = this.model.inferenceConstants();
    const vocab = config.vocabSize;
    const seg = config.segment;
    const p = this.pending.length;
    const all = new Int32Array(p + tokens.length);
    all.set(this.pending);
    all.set(tokens, p);
    const full = Math.floor(all.length / seg);
    // Rows [0, rows) of `all` go through the model; row r predicts token r + 1.
    const rows = k === 0 && all.length % seg === 1 ? all.length - 1 : all.length;
    let state = this.state;
    const parts: { nll: Tensor1D; topIds: Tensor | undefined; topProbs: Tensor | undefined }[] = [];
    const hidden: Tensor2D[] = [];
    let next: Tensor2D | undefined;
    const embedded = rows > 0 ? tf.tidy(() => tf.gather(this.model.tensors['embed'] as Tensor2D, tf.tensor1d(all.subarray(0, rows), 'int32'))) : undefined;
    /** Scores the tokens predicted by rows [a, e) (their hidden states are in `hidden`). */
    const score = (a: number, e: number) => {
      const out = tf.tidy(() => {
        const logp = e > a ? tf.logSoftmax(matMul2d(hidden.length === 1 ? (hidden[0] as Tensor2D) : tf.concat(hidden), constants.head)) : undefined;
        const pieces: Tensor1D[] = [];
        // The stream's first token after a segment boundary: predicted by the previous call's last row.
        if (a === 0 && p === 0) pieces.push(tf.gather(this.next as Tensor1D, tf.tensor1d([all[0] as number], 'int32')));
        const lo = Math.max(p, a + 1);
        const hi = Math.min(e + 1, all.length);
        if (logp && hi > lo) {
          const flat = Int32Array.from(all.subarray(lo, hi), (t, i) => (lo + i - 1 - a) * vocab + t);
          pieces.push(tf.gather(tf.reshape(logp, [-1]), tf.tensor1d(flat, 'int32')));
        }
        // A last group of one row only predicts the token after the call: no nll of its own.
        const nll = tf.neg(pieces.length === 0 ? tf.zeros([0]) : pieces.length === 1 ? (pieces[0] as Tensor1D) : tf.concat(pieces)) as Tensor1D;
        const from = Math.max(p, a);
        const top = k > 0 && logp && e > from ? tf.topk(tf.slice(logp, from - a, e - from), k) : undefined;
        const kept = { nll, topIds: top?.indices, topProbs: top ? tf.exp(top.values) : undefined, last: logp && e === all.length ? tf.slice(logp, e - a - 1, 1) : undefined };
        [kept.nll, kept.topIds, kept.topProbs, kept.last].forEach((t) => t && tf.keep(t));
        return kept as unknown as tf.TensorContainer;
      }) as unknown as { nll: Tensor1D; topIds: Tensor | undefined; topProbs: Tensor | undefined; last: Tensor2D | undefined };
      parts.push({ nll: out.nll, topIds: out.topIds, topProbs: out.topProbs });
      next = out.last;
      tf.dispose(hidden.splice(0));
    };
    try {
      let group = 0;
      for (let a = 0; a < rows; a += seg) {
        const e = Math.min(a + seg, rows);
        const update = e - a === seg;
        const out = tf.tidy(() => {
          const r = forwardHidden(config, this.model.tensors, state, tf.slice(embedded as Tensor2D, a, e - a), update, constants);
          [r.hidden, ...(r.state ? stateTensors(r.state) : [])].forEach((t) => tf.keep(t));
          return r as unknown as tf.TensorContainer;
        }) as unknown as HiddenResult;
        hidden.push(out.hidden);
        if (out.state) {
          if (state !== this.state) disposeState(state);
          state = out.state;
        }
        if (e === rows || e - group >= HEAD_GROUP * seg) {
          score(group, e);
          group = e;
        }
      }
      if (rows === 0) score(0, 0);
      const result = tf.tidy(() => {
        const cat = (ts: Tensor[]) => (ts.length === 1 ? tf.clone(ts[0] as Tensor) : tf.concat(ts));
        return {
          nll: cat(parts.map((x) => x.nll)) as Tensor1D,
          topIds: k > 0 ? cat(parts.map((x) => x.topIds as Tensor)) : undefined,
          topProbs: k > 0 ? cat(parts.map((x) => x.topProbs as Tensor)) : undefined,
        } as unknown as tf.TensorContainer;
      }) as unknown as { nll: Tensor1D; topIds: Tensor | undefined; topProbs: Tensor | undefined };
      // Commit.
      if (state !== this.state) disposeState(this.state);
      this.state = state;
      this.next?.dispose();
      this.next = next ? tf.reshape(next, [vocab]) : undefined;
      this.pending = all.slice(full * seg);
      this.seen += tokens.length;
      return result;
    } catch (error) {
      if (state !== this.state) disposeState(state);
      throw error;
    } finally {
      tf.dispose(parts.flatMap((x) => [x.nll, x.topIds, x.topProbs]).filter((t): t is Tensor => t !== undefined));
      tf.dispose(hidden);
      next?.dispose();
      embedded?.dispose();
    }
  }

  /**
   * Log-probabilities of the token after the last one processed: kept from the last call, or
   * recomputed from the pending tokens when that call skipped them (new tensor; undefined for a
   * stream that has seen nothing).
   */
  private nextRow(): Tensor1D | undefined {
    if (this.next) return tf.clone(this.next);
    if (this.seen === 0 && this.state.position === 0) return undefined;
    const { config } = this.model;
    const constants = this.model.inferenceConstants();
    return tf.tidy(() => {
      const x = tf.gather(this.model.tensors['embed'] as Tensor2D, tf.tensor1d(this.pending, 'int32'));
      const { hidden } = forwardHidden(config, this.model.tensors, this.state, x, false, constants);
      const last = tf.slice(hidden, this.pending.length - 1, 1);
      return tf.reshape(tf.logSoftmax(matMul2d(last, constants.head)), [config.vocabSize]);
    });
  }

  /**
   * A snapshot of the stream: state arrays, pending tokens and counters. Captured when called.
   *
   * @example
   * ```ts
   * const snapshot = await stream.exportState();
   * ```
   * @returns A plain, structured-clone-able snapshot.
   */
  async exportState(): Promise<TitansStreamState> {
    this.check();
    const { config } = this.model;
    const slots = stateLayout(config, this.state.cached);
    const next = this.nextRow();
    const named = tf.tidy(() => [
      ...stateTensors(this.state).map((t, i) => {
        const slot = slots[i] as StateSlot;
        return { name: slot.name, tensor: slot.transposed ? tf.transpose(t) : tf.clone(t) };
      }),
      ...(next ? [{ name: 'next', tensor: next }] : []),
    ]);
    const head = { position: this.state.position, cached: this.state.cached, tokensSeen: this.seen, pending: this.pending.slice() };
    try {
      const arrays: StateArray[] = [];
      for (const { name, tensor } of named) arrays.push({ name, shape: [...tensor.shape], dtype: 'float32', data: (await tensor.data()) as Float32Array });
      arrays.push({ name: 'pending', shape: [head.pending.length], dtype: 'int32', data: head.pending });
      return { format: 'titans-stream.model-state', version: 1, fingerprint: this.model.fingerprint, position: head.position, cached: head.cached, tokensSeen: head.tokensSeen, arrays };
    } finally {
      tf.dispose(named.map((x) => x.tensor));
    }
  }

  /**
   * Replaces this stream's state with a snapshot of a stream of the same model configuration;
   * continuing then equals continuing the stream the snapshot came from.
   *
   * @example
   * ```ts
   * model.stream().importState(snapshot);
   * ```
   * @param snapshot - From {@link exportState}.
   * @throws {@link InputError} `ERR_MODEL_STATE` when the snapshot is of another format, version or configuration, or an array is missing or misshapen.
   */
  importState(snapshot: TitansStreamState): void {
    this.check();
    const fail = (problem: string) => new InputError('ERR_MODEL_STATE', `cannot import stream state: ${problem}`);
    if (snapshot.format !== 'titans-stream.model-state' || snapshot.version !== 1) {
      throw fail(`format ${String(snapshot.format)} version ${String(snapshot.version)} is not titans-stream.model-state version 1`);
    }
    if (snapshot.fingerprint !== this.model.fingerprint) throw fail(`it was written by a model with configuration ${snapshot.fingerprint}, this model's is ${this.model.fingerprint}`);
    const { config } = this.model;
    const count = (x: unknown) => Number.isSafeInteger(x) && (x as number) >= 0;
    const { position, cached, tokensSeen } = snapshot;
    const maxCached = keepsCache(config) ? Math.min(config.window - 1, position) : 0;
    if (!count(position) || !count(cached) || !count(tokensSeen) || position % config.segment !== 0 || cached !== maxCached) throw fail('invalid counters');
    const byName = new Map(snapshot.arrays.map((a) => [a.name, a]));
    const need = (name: string, shape: readonly number[], dtype: 'float32' | 'int32'): StateArray => {
      const a = byName.get(name);
      if (!a || a.dtype !== dtype || a.shape.length !== shape.length || a.shape.some((s, i) => s !== shape[i]) || a.data.length !== shape.reduce((x, y) => x * y, 1)) {
        throw fail(`array "${name}" is missing or not ${dtype} [${shape.join(', ')}]`);
      }
      return a;
    };
    const pendingLength = tokensSeen + 1 - position;
    if (pendingLength < 0 || pendingLength >= config.segment) throw fail('counters and pending tokens disagree');
    const pending = Int32Array.from(need('pending', [pendingLength], 'int32').data);
    if (pending.some((t) => !(t >= 0 && t < config.vocabSize))) throw fail('a pending token is outside the vocabulary');
    const slots = stateLayout(config, cached);
    const arrays = slots.map((slot) => need(slot.name, slot.shape, 'float32'));
    const nextArr = position > 0 ? need('next', [config.vocabSize], 'float32') : undefined;
    const tensors = tf.tidy(() =>
      arrays.map((a, i) => {
        const t = tf.tensor(a.data, [...a.shape], 'float32');
        return (slots[i] as StateSlot).transposed ? tf.transpose(t) : t;
      }),
    );
    const next = nextArr ? tf.tensor1d(nextArr.data as Float32Array, 'float32') : undefined;
    disposeState(this.state);
    this.next?.dispose();
    this.state = buildState(config, position, cached, tensors);
    this.next = next;
    this.pending = pending;
    this.seen = tokensSeen;
  }

  /**
   * Frees the stream's state. Idempotent.
   *
   * @example
   * ```ts
   * stream.dispose();
   * ```
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    disposeState(this.state);
    this.next?.dispose();
    this.next = undefined;
  }
}
