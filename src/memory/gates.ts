import { tf } from '../tensor/index.js';
import type { Tensor1D, Tensor2D } from '../tensor/index.js';
import type { SeededRandom } from '../random/index.js';
import type { LogChunkGates, PlainChunkGates } from './chunk-coefficients.js';
import type { ResolvedGate, ResolvedMemoryOptions } from './memory-config.js';

/** Which gate, in the order their projection columns are laid out. */
const GATE_NAMES = ['lr', 'momentum', 'forget'] as const;
type GateName = (typeof GATE_NAMES)[number];

/** Projection of the data-dependent gates: `sigmoid(x·weight + bias)`, H columns per gate. */
export interface GateParams {
  /** `[inputDim × (gates·heads)]`. */
  readonly weight: Tensor2D;
  /** `[gates·heads]`. */
  readonly bias: Tensor1D;
  /** The data-dependent gates, in column-block order. */
  readonly gates: readonly GateName[];
}

function gateOf(o: ResolvedMemoryOptions, name: GateName): ResolvedGate {
  return name === 'lr' ? o.learningRate : name === 'momentum' ? o.momentum : o.forget;
}

/**
 * Whether every gate is fixed (then a chunk's coefficients never change and can be computed once).
 *
 * @example
 * ```ts
 * allGatesFixed(resolveMemoryOptions({ learningRate: 0.1, momentum: 0.5, forget: 0 }, 64)); // true
 * ```
 * @param o - Resolved memory options.
 * @returns `true` when θ, η and α are all fixed.
 */
export function allGatesFixed(o: ResolvedMemoryOptions): boolean {
  return GATE_NAMES.every((n) => gateOf(o, n).kind === 'fixed');
}

/**
 * Seeded projection for the data-dependent gates: weights N(0, 1/inputDim), biases at the logit
 * of each gate's `init` (of init / maxLearningRate for θ). `undefined` when every gate is fixed.
 *
 * @example
 * ```ts
 * const params = initGateParams(options, 64, rng.fork());
 * ```
 * @param o - Resolved memory options.
 * @param inputDim - Width of the vectors the gates read.
 * @param rng - Source of the weights.
 * @returns New tensors, or `undefined`.
 */
export function initGateParams(o: ResolvedMemoryOptions, inputDim: number, rng: SeededRandom): GateParams | undefined {
  const gates = GATE_NAMES.filter((n) => gateOf(o, n).kind === 'data');
  if (gates.length === 0) return undefined;
  const cols = gates.length * o.heads;
  const weight = rng.fillNormal(new Float32Array(inputDim * cols), 0, 1 / Math.sqrt(inputDim));
  const bias = new Float32Array(cols);
  gates.forEach((name, g) => {
    const gate = gateOf(o, name);
    const p = gate.kind === 'data' ? gate.init / (name === 'lr' ? o.maxLearningRate : 1) : 0.5;
    bias.fill(Math.log(p / (1 - p)), g * o.heads, (g + 1) * o.heads);
  });
  return { weight: tf.tensor2d(weight, [inputDim, cols]), bias: tf.tensor1d(bias), gates };
}

/**
 * Gate logits x·w + b of `chunks` consecutive chunks of `c` tokens, as `[gates·chunks·heads × cols]`
 * with row (g·chunks + j)·heads + i for gate g, chunk j and head i: one row per token (`cols = c`),
 * or with per-chunk gates one column from the chunk's mean input.
 */
function gateLogits(o: ResolvedMemoryOptions, params: GateParams, source: Tensor2D, c: number, chunks: number): Tensor2D {
  const perChunk = o.gateGranularity === 'chunk';
  const x = perChunk ? tf.mean(tf.reshape(source, [chunks, c, source.shape[1]]), 1) : source;
  const cols = perChunk ? 1 : c;
  const g = params.gates.length;
  const logits = tf.reshape(tf.add(tf.matMul(x, params.weight), params.bias), [chunks, cols, g, o.heads]);
  return tf.reshape(tf.transpose(logits, [2, 0, 3, 1]), [g * chunks * o.heads, cols]);
}

/** The `rows` rows of gate `g` of the logits, broadcast to `[rows × c]`. */
function gateRows(logits: Tensor2D, g: number, rows: number, c: number): Tensor2D {
  const part = tf.slice(logits, [g * rows, 0], [rows, -1]);
  return part.shape[1] === c ? part : tf.broadcastTo(part, [rows, c]);
}

/**
 * Like {@link chunkGates}, but η and α as log η and log(1 − α): for data-dependent gates these are
 * log σ(z) and log σ(−z), exact and finite even where σ(z) rounds to 1 — and fewer ops. Computes
 * `chunks` consecutive chunks at once, stacked as `[chunks·heads × c]` (row j·heads + i for chunk
 * j and head i), which {@link chunkCoefficients} takes as it is: its rows are independent.
 *
 * @example
 * ```ts
 * const coefficients = chunkCoefficients(chunkLogGates(options, params, sourceRows, 64));
 * ```
 * @param o - Resolved memory options.
 * @param params - Gate projection (needed when a gate is data-dependent).
 * @param source - `[chunks·C × inputDim]` gate inputs (needed when a gate is data-dependent).
 * @param c - Tokens per chunk.
 * @param chunks - Number of chunks (default 1).
 * @returns θ, log η, log(1 − α) (new tensors).
 */
export function chunkLogGates(o: ResolvedMemoryOptions, params: GateParams | undefined, source: Tensor2D | undefined, c: number, chunks = 1): LogChunkGates {
  const rows = chunks * o.heads;
  const logits = params && source ? gateLogits(o, params, source, c, chunks) : undefined;
  const data = (name: GateName) => gateRows(logits as Tensor2D, (params as GateParams).gates.indexOf(name), rows, c);
  const fixed = (value: number) => tf.fill([rows, c], value) as Tensor2D;
  const log = (value: number) => (value > 0 ? Math.log(value) : -1e30);
  const lr = o.learningRate.kind === 'data' ? tf.mul<Tensor2D>(tf.sigmoid(data('lr')), o.maxLearningRate) : fixed(o.learningRate.value);
  // log σ(z) = −softplus(−z) and log σ(−z) = −softplus(z), written out (tf.logSigmoid is the
  // same ops behind a custom gradient, one op more for log σ(−z)).
  const logMomentum = o.momentum.kind === 'data' ? tf.neg<Tensor2D>(tf.softplus(tf.neg(data('momentum')))) : fixed(log(o.momentum.value));
  const logRetention = o.forget.kind === 'data' ? tf.neg<Tensor2D>(tf.softplus(data('forget'))) : fixed(log(1 - o.forget.value));
  return { lr, logMomentum, logRetention };
}

/**
 * θ, η, α of C tokens, `[heads × C]` each: fixed values, or the sigmoid of the gate projection of
 * each token's source vector (of the chunk's mean source with `gateGranularity: 'chunk'`).
 *
 * @example
 * ```ts
 * const gates = chunkGates(options, params, sourceRows, 64);
 * ```
 * @param o - Resolved memory options.
 * @param params - Gate projection (needed when a gate is data-dependent).
 * @param source - `[C × inputDim]` gate inputs (needed when a gate is data-dependent).
 * @param c - Tokens in the chunk.
 * @returns The gates (new tensors).
 */
export function chunkGates(o: ResolvedMemoryOptions, params: GateParams | undefined, source: Tensor2D | undefined, c: number): PlainChunkGates {
  const h = o.heads;
  const logits = params && source ? gateLogits(o, params, source, c, 1) : undefined;
  const make = (name: GateName): Tensor2D => {
    const gate = gateOf(o, name);
    if (gate.kind === 'fixed') return tf.fill([h, c], gate.value) as Tensor2D;
    const rows = tf.sigmoid(gateRows(logits as Tensor2D, (params as GateParams).gates.indexOf(name), h, c)) as Tensor2D;
    return name === 'lr' ? tf.mul(rows, o.maxLearningRate) : rows;
  };
  return { lr: make('lr'), momentum: make('momentum'), forget: make('forget') };
}
