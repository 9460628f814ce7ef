import { InputError } from '../errors/index.js';
import { tf } from '../tensor/index.js';
import type { Scalar, Tensor, Tensor2D } from '../tensor/index.js';
import { forwardSegment } from './forward.js';
import type { ResolvedTitansModelConfig } from './model-config.js';
import { initialState, stateTensors } from './model-state.js';
import type { ModelState } from './model-state.js';
import type { ModelWeights } from './model-weights.js';

/** Options of {@link lossAndGradients}. */
export interface GradientOptions {
  /**
   * Keep only the state at segment boundaries and recompute each segment during the backward pass
   * (default false). Exact (same gradients up to rounding); costs one more forward pass; bounds the
   * memory of the backward pass to one segment's activations plus one state per segment.
   */
  readonly recompute?: boolean;
  /**
   * Continue streams instead of starting them: the state they are in and the token before each
   * sequence (what the first segment reads instead of BOS). The state is read, never differentiated
   * (truncated backpropagation through time) and stays the caller's.
   */
  readonly start?: StreamStart;
  /** Also return the state after the last segment (detached), to continue the streams (default false). */
  readonly carry?: boolean;
  /**
   * `[batch × L]` weight of each target token (default all 1): the loss is Σ w·nll / Σ w. Weights
   * of 0 leave a token out of the loss (it is still read); larger weights stress a task's answers.
   */
  readonly weights?: Float32Array;
}

/** Where a batch of sequences continues its streams (see {@link GradientOptions.start}). */
export interface StreamStart {
  /** The state of the `batch` streams at a segment boundary. */
  readonly state: ModelState;
  /** `[batch]` the last token each stream read. */
  readonly previous: Int32Array;
}

/** {@link lossAndGradients}' result (tensors owned by the caller). */
export interface LossAndGradients {
  /** Mean next-token cross-entropy over all tokens, nats. */
  readonly loss: Scalar;
  /** ∂loss/∂weight for every weight name. */
  readonly grads: Record<string, Tensor>;
  /** With `carry`: the state after the last segment (the caller disposes it with `disposeState`). */
  readonly state?: ModelState;
}

function checkBatch(config: ResolvedTitansModelConfig, tokens: Int32Array, batch: number): number {
  const length = tokens.length / batch;
  if (!Number.isInteger(length) || length < 1 || length % config.segment !== 0) {
    throw new InputError('ERR_SEQUENCE', `${tokens.length} tokens do not split into ${batch} sequences whose length is a multiple of the segment ${config.segment}`);
  }
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i] as number;
    if (!(t >= 0 && t < config.vocabSize)) throw new InputError('ERR_TOKEN', `token ${t} at index ${i} is outside the vocabulary [0, ${config.vocabSize})`);
  }
  return length;
}

/** Inputs, targets and target weights of one segment. */
interface SegmentIds {
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  /** The targets' weights (none: all 1). */
  readonly weights: Float32Array | undefined;
}

/** Model inputs and targets of segment s: inputs are [BOS, x_1 … x_{L−1}], targets x_1 … x_L, per sequence. */
function segmentIds(config: ResolvedTitansModelConfig, tokens: Int32Array, batch: number, length: number, s: number, previous?: Int32Array, weights?: Float32Array): SegmentIds {
  const seg = config.segment;
  const inputs = new Int32Array(batch * seg);
  const targets = new Int32Array(batch * seg);
  const segmentWeights = weights ? new Float32Array(batch * seg) : undefined;
  for (let b = 0; b < batch; b++) {
    for (let t = 0; t < seg; t++) {
      const q = s * seg + t;
      inputs[b * seg + t] = q === 0 ? (previous?.[b] ?? config.bosId) : (tokens[b * length + q - 1] as number);
      targets[b * seg + t] = tokens[b * length + q] as number;
      if (segmentWeights) segmentWeights[b * seg + t] = weights?.[b * length + q] as number;
    }
  }
  return { inputs, targets, weights: segmentWeights };
}

/** Σ −w·log p(target) over the rows (w = 1 without weights). */
function crossEntropySum(logits: Tensor2D, { targets, weights }: SegmentIds): Scalar {
  let picked = tf.cast(tf.oneHot(tf.tensor1d(targets, 'int32'), logits.shape[1]), 'float32');
  if (weights) picked = tf.mul(picked, tf.tensor2d(weights, [weights.length, 1]));
  return tf.neg(tf.sum(tf.mul(tf.logSoftmax(logits), picked))) as Scalar;
}

/** What the summed loss is divided by: Σ w, or the token count without weights. */
function lossDivisor(tokens: Int32Array, weights: Float32Array | undefined): number {
  if (weights === undefined) return tokens.length;
  if (weights.length !== tokens.length) throw new InputError('ERR_SEQUENCE', `${weights.length} target weights for ${tokens.length} tokens`);
  let total = 0;
  for (let i = 0; i < weights.length; i++) {
    const v = weights[i] as number;
    if (!(v >= 0 && Number.isFinite(v))) throw new InputError('ERR_SEQUENCE', `target weight ${v} at index ${i} is not a finite number ≥ 0`);
    total += v;
  }
  if (total === 0) throw new InputError('ERR_SEQUENCE', 'every target weight is 0: the loss would be empty');
  return total;
}

/**
 * Mean next-token cross-entropy (nats) of `batch` sequences, each read from the start of a
 * stream: inputs [BOS, x_1 … x_{L−1}], targets x_1 … x_L, segment by segment with the state
 * carried — differentiable end to end (the memory updates are not detached).
 *
 * @example
 * ```ts
 * const loss = sequenceLoss(config, model.tensors, tokens, 4); // tokens: [4 × L]
 * ```
 * @param config - Resolved configuration.
 * @param w - The parameters.
 * @param tokens - `[batch × L]` row-major, L a multiple of the segment.
 * @param batch - Sequences.
 * @returns A scalar (new tensor).
 * @throws {@link InputError} `ERR_SEQUENCE` for a bad length, `ERR_TOKEN` for an id outside the vocabulary.
 */
export function sequenceLoss(config: ResolvedTitansModelConfig, w: ModelWeights, tokens: Int32Array, batch: number, start?: StreamStart, weights?: Float32Array): Scalar {
  return rollout(config, w, tokens, batch, start, false, weights, lossDivisor(tokens, weights)).loss;
}

/** {@link sequenceLoss}, and with `carry` a kept copy of the state after the last segment. */
function rollout(config: ResolvedTitansModelConfig, w: ModelWeights, tokens: Int32Array, batch: number, start: StreamStart | undefined, carry: boolean, weights: Float32Array | undefined, divisor: number): { loss: Scalar; state: ModelState | undefined } {
  const length = checkBatch(config, tokens, batch);
  checkStart(start, batch);
  const segments = length / config.segment;
  let state: ModelState = start?.state ?? initialState(config, w, batch);
  let total: Scalar = tf.scalar(0);
  for (let s = 0; s < segments; s++) {
    const ids = segmentIds(config, tokens, batch, length, s, start?.previous, weights);
    const r = forwardSegment(config, w, state, tf.tensor1d(ids.inputs, 'int32'), carry || s < segments - 1);
    total = tf.add(total, crossEntropySum(r.logits, ids));
    if (r.state) state = r.state;
  }
  // Copies (identity ops save nothing for the backward pass, which frees the tensors it saved).
  const final = carry ? detachedCopy(state) : undefined;
  return { loss: tf.div(total, divisor), state: final };
}

/** A kept copy of every tensor of `state`. */
function detachedCopy(state: ModelState): ModelState {
  const copy = (t: Tensor2D | undefined) => (t ? tf.keep(tf.clone(t)) : undefined);
  return {
    ...state,
    layers: state.layers.map((layer) => ({
      memory: layer.memory?.map((head) => ({ w: head.w.map((t) => tf.keep(tf.clone(t))), s: head.s.map((t) => tf.keep(tf.clone(t))) })),
      conv: copy(layer.conv),
      keys: copy(layer.keys),
      values: copy(layer.values),
    })),
  };
}

function checkStart(start: StreamStart | undefined, batch: number): void {
  if (start !== undefined && (start.state.batch !== batch || start.previous.length !== batch)) {
    throw new InputError('ERR_SEQUENCE', `the streams to continue hold ${start.state.batch} states and ${start.previous.length} previous tokens, the batch has ${batch} sequences`);
  }
}

function gradientsOf(f: () => Scalar, xs: Tensor[]): { value: Scalar; grads: (Tensor | null)[] } {
  // allowNoGradients: a weight may not reach a segment's loss (the initial memory only reaches the first).
  const { value, grads } = tf.engine().gradients(f, xs, undefined, true);
  return { value, grads: grads as (Tensor | null)[] };
}

/**
 * Loss and gradients of {@link sequenceLoss} with respect to every weight: backpropagation through
 * all segments, through the attention caches and through every memory update (outer loop over
 * the inner test-time-training loop). With `recompute`, only the states at segment boundaries are
 * kept from a forward pass; the backward pass then walks the segments last to first, recomputes
 * each from its saved state and differentiates `loss_s + Σ ⟨state_out, ∂L/∂state_out⟩` with
 * respect to the weights and the incoming state — exact, with one segment's activations alive at
 * a time.
 *
 * @example
 * ```ts
 * const { loss, grads } = lossAndGradients(config, model.tensors, tokens, 4, { recompute: true });
 * ```
 * @param config - Resolved configuration.
 * @param w - The parameters.
 * @param tokens - `[batch × L]` row-major, L a multiple of the segment.
 * @param batch - Sequences.
 * @param options - Recomputation.
 * @returns Loss and gradients (new tensors).
 * @throws {@link InputError} `ERR_SEQUENCE` / `ERR_TOKEN` for bad input.
 */
export function lossAndGradients(config: ResolvedTitansModelConfig, w: ModelWeights, tokens: Int32Array, batch: number, options: GradientOptions = {}): LossAndGradients {
  const names = Object.keys(w);
  const params = names.map((n) => w[n] as Tensor);
  const length = checkBatch(config, tokens, batch);
  const { start, carry = false, weights } = options;
  checkStart(start, batch);
  const divisor = lossDivisor(tokens, weights);
  if (!options.recompute) {
    let final: ModelState | undefined;
    const out = tf.tidy(() => {
      const { value, grads } = gradientsOf(() => {
        const r = rollout(config, w, tokens, batch, start, carry, weights, divisor);
        final = r.state;
        return r.loss;
      }, params);
      const named: Record<string, Tensor> = {};
      names.forEach((n, i) => (named[n] = grads[i] ?? tf.zerosLike(params[i] as Tensor)));
      return { loss: value, grads: named } as unknown as tf.TensorContainer;
    }) as unknown as LossAndGradients;
    return final === undefined ? out : { ...out, state: final };
  }
  const segments = length / config.segment;
  const ids = Array.from({ length: segments }, (_, s) => segmentIds(config, tokens, batch, length, s, start?.previous, weights));
  // Forward: the state entering every segment (and with `carry` the one after the last), nothing else.
  const states: (ModelState | undefined)[] = [undefined];
  try {
    tf.tidy(() => {
      let state = start?.state ?? initialState(config, w, batch);
      for (let s = 0; s < (carry ? segments : segments - 1); s++) {
        state = forwardSegment(config, w, state, tf.tensor1d((ids[s] as SegmentIds).inputs, 'int32'), true).state as ModelState;
        stateTensors(state).forEach((t) => tf.keep(t));
        states.push(state);
      }
    });
    let acc: (Tensor | undefined)[] = params.map(() => undefined);
    let loss: Scalar = tf.scalar(0);
    let upstream: (Tensor | null)[] | undefined;
    for (let s = segments - 1; s >= 0; s--) {
      const incoming = states[s];
      const xsState = incoming ? stateTensors(incoming) : [];
      const g = upstream;
      let segmentLoss: Scalar | undefined;
      const grads = tf.tidy(() => {
        const r = gradientsOf(() => {
          const segment = ids[s] as SegmentIds;
          const out = forwardSegment(config, w, incoming ?? start?.state ?? initialState(config, w, batch), tf.tensor1d(segment.inputs, 'int32'), s < segments - 1);
          segmentLoss = tf.keep(tf.div(crossEntropySum(out.logits, segment), divisor) as Scalar);
          let objective: Scalar = segmentLoss;
          if (g && out.state) {
            stateTensors(out.state).forEach((t, k) => {
              const gk = g[k];
              if (gk) objective = tf.add(objective, tf.sum(tf.mul(t, gk)));
            });
          }
          return objective;
        }, [...params, ...xsState]);
        return r.grads as unknown as tf.TensorContainer;
      }) as unknown as (Tensor | null)[];
      const total = tf.add(loss, segmentLoss as Scalar) as Scalar;
      tf.dispose([loss, segmentLoss as Scalar]);
      loss = total;
      tf.dispose(upstream?.filter((t): t is Tensor => t !== null) ?? []);
      upstream = grads.slice(params.length);
      acc = acc.map((a, i) => {
        const gi = grads[i];
        if (!gi) return a;
        if (!a) return gi;
        const sum = tf.add(a, gi);
        tf.dispose([a, gi]);
        return sum;
      });
      if (incoming) tf.dispose(xsState);
    }
    tf.dispose(upstream?.filter((t): t is Tensor => t !== null) ?? []);
    const named: Record<string, Tensor> = {};
    names.forEach((n, i) => (named[n] = acc[i] ?? tf.zerosLike(params[i] as Tensor)));
    const final = carry ? states.pop() : undefined;
    return { loss, grads: named, ...(final === undefined ? {} : { state: final }) };
  } finally {
    for (const st of states) if (st) tf.dispose(stateTensors(st).filter((t) => !t.isDisposed));
  }
}
