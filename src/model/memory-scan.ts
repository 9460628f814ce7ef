import { applyUpdate, headGradients, headPass, splitHeads, swapOrientation } from '../memory/index.js';
import type { Activation, ChunkGates, HeadWeights, MemoryNet, MemoryWeights } from '../memory/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor1D, Tensor2D, Tensor3D } from '../tensor/index.js';
import { matMul2d, matMulT } from './fast-matmul.js';

/** Per-head keys, values and queries of n tokens, `[n × headDim]` each. */
export interface ScanInputs {
  readonly keys: readonly Tensor2D[];
  readonly values: readonly Tensor2D[];
  readonly queries: readonly Tensor2D[];
}

/** Optional precomputed inputs of {@link memoryScan} (results are the same without them). */
export interface ScanOptions {
  /** {@link scanTables} of the chunk length (else built per call). */
  readonly tables?: ScanTables;
}

/** {@link memoryScan}'s result. */
export interface ScanResult {
  /** Per head, `[n × headDim]`: y_t = M_t(q_t), the memory after tokens 1…t of the chunk. */
  readonly retrievals: Tensor2D[];
  /** The memory after all n tokens (only when asked for). */
  readonly weights: HeadWeights[] | undefined;
}

/** log 0 as a finite number, so that masked products are exactly 0 and never NaN. */
const LOG_ZERO = -1e30;
const TINY = 1e-30;
const LN_EPS = 1e-5;

/** log g, and LOG_ZERO where g ≤ 0 (`step`, not a comparison, so that tf.grad works). */
function logGate(g: Tensor2D): Tensor2D {
  return tf.add(tf.log(tf.maximum(g, TINY)), tf.mul(tf.sub(1, tf.step(g)), LOG_ZERO));
}

/**
 * Constant tables of {@link memoryScan} for chunks of n tokens: 0/1 matrices that turn the log
 * gates into every segment log-sum the coefficients need with one matmul per gate, and the
 * additive mask that sets the entries of reversed ranges to log 0. Columns, in order: for log β,
 * `Pβ` as `[t, i]` (Σ_{i<m≤t} log β_m, t, i = 1…n) and the decays B_t (Σ_{m≤t} log β_m); for
 * log η, `Pη` as `[i, j]` (Σ_{j<m≤i} log η_m, i = 1…n, j = 0…n) and the chunk-end momentum factors
 * (Σ_{j<m≤n} log η_m, j = 0…n). Each entry is a direct sum of exactly its own terms, never a
 * difference of running sums.
 */
export interface ScanTables {
  /** Tokens per chunk. */
  readonly n: number;
  /** `[n × (n² + n)]`: row m − 1 selects log β_m. */
  readonly beta: Tensor2D;
  /** `[n × (n(n+1) + n+1)]`: row m − 1 selects log η_m. */
  readonly eta: Tensor2D;
  /** `[1 × all columns]`: LOG_ZERO where a range is reversed, else 0. */
  readonly invalid: Tensor2D;
}

/**
 * The {@link ScanTables} of chunks of n tokens. Streaming inference builds them once per model
 * and passes them to every {@link memoryScan} call; without them each call builds its own.
 *
 * @example
 * ```ts
 * const tables = scanTables(32);
 * memoryScan(net, weights, inputs, gates, true, { tables });
 * ```
 * @param n - Tokens per chunk (≥ 1).
 * @returns New tensors (the caller disposes them).
 */
export function scanTables(n: number): ScanTables {
  const betaCols = n * n + n;
  const etaCols = n * (n + 1) + n + 1;
  const beta = new Float32Array(n * betaCols);
  const eta = new Float32Array(n * etaCols);
  const invalid = new Float32Array(betaCols + etaCols);
  // Column `col` of a table sums the terms from < m ≤ to; a reversed range is invalid.
  const range = (table: Float32Array, cols: number, offset: number, col: number, from: number, to: number) => {
    if (from > to) invalid[offset + col] = LOG_ZERO;
    for (let m = from + 1; m <= to; m++) table[(m - 1) * cols + col] = 1;
  };
  let col = 0;
  for (let t = 1; t <= n; t++) for (let i = 1; i <= n; i++) range(beta, betaCols, 0, col++, i, t);
  for (let t = 1; t <= n; t++) range(beta, betaCols, 0, col++, 0, t);
  col = 0;
  for (let i = 1; i <= n; i++) for (let j = 0; j <= n; j++) range(eta, etaCols, betaCols, col++, j, i);
  for (let j = 0; j <= n; j++) range(eta, etaCols, betaCols, col++, j, n);
  return { n, beta: tf.tensor2d(beta, [n, betaCols]), eta: tf.tensor2d(eta, [n, etaCols]), invalid: tf.tensor2d(invalid, [1, betaCols + etaCols]) };
}

/** The scalars of every per-token memory state inside a chunk (see {@link memoryScan}). */
interface TokenCoefficients {
  /** `[h, n, n+1]`: column 0 is b_t, column j ≥ 1 is c_{t,j}. */
  readonly c: Tensor3D;
  /** `[h, n]`: B_t = Π_{m ≤ t} β_m. */
  readonly decay: Tensor2D;
  /** `[h, n+1]`: E = Π_{m ≤ n} η_m, then e_j = Π_{j < m ≤ n} η_m (the chunk-end momentum). */
  readonly momentumEnd: Tensor2D;
}

function tokenCoefficients(gates: ChunkGates, given: ScanTables | undefined): TokenCoefficients {
  const [h, n] = gates.lr.shape;
  const tables = given ?? scanTables(n);
  const [logBeta, logEta] = 'logMomentum' in gates ? [gates.logRetention, gates.logMomentum] : (tf.split(logGate(tf.concat([tf.sub<Tensor2D>(1, gates.forget), gates.momentum], 1)), 2, 1) as [Tensor2D, Tensor2D]);
  const sums = tf.concat([matMul2d(logBeta, tables.beta), matMul2d(logEta, tables.eta)], 1);
  const all = tf.exp(tf.add(sums, tables.invalid));
  const [pBeta, decay, pEta, momentumEnd] = tf.split(all, [n * n, n, n * (n + 1), n + 1], 1) as [Tensor2D, Tensor2D, Tensor2D, Tensor2D];
  // Pβ[t, i] = Π_{i < m ≤ t} β_m (i ≤ t); Pη[i, j] = Π_{j < m ≤ i} η_m (j ≤ i, j = 0 … n).
  const c = h === 1 ? tf.reshape(matMul2d(tf.reshape(pBeta, [n, n]), tf.reshape(pEta, [n, n + 1])), [1, n, n + 1]) : tf.matMul(tf.reshape(pBeta, [h, n, n]), tf.reshape(pEta, [h, n, n + 1]));
  return { c: c as Tensor3D, decay, momentumEnd };
}

/** σ(z) of a hidden memory layer, as the memory's own MLP computes it. */
function activate(kind: Activation, z: Tensor2D): Tensor2D {
  switch (kind) {
    case 'silu':
      return tf.mul(z, tf.sigmoid(z));
    case 'relu':
      return tf.relu(z);
    case 'tanh':
      return tf.tanh(z);
    case 'gelu': {
      const t = tf.tanh(tf.mul(tf.add(z, tf.mul(tf.mul(z, tf.square(z)), 0.044715)), Math.sqrt(2 / Math.PI)));
      return tf.mul(tf.mul(z, 0.5), tf.add(t, 1));
    }
  }
}

/** The rows of a 2-D tensor (a reshape for one row: tfjs's Unpack gradient fails with a single output). */
function rowsOf(t: Tensor2D): Tensor1D[] {
  return t.shape[0] === 1 ? [tf.reshape(t, [t.shape[1]])] : (tf.unstack(t) as Tensor1D[]);
}

function layerNorm(z: Tensor2D): Tensor2D {
  const centred = tf.sub(z, tf.mean(z, 1, true));
  return tf.mul(centred, tf.rsqrt(tf.add(tf.mean(tf.square(centred), 1, true), LN_EPS)));
}

/**
 * One chunk of the neural memory with exact per-token retrieval: token t reads the memory M_t
 * after the updates of tokens 1…t of the chunk (its own included), while — as in the chunked
 * parallel form ({@link memoryChunk}) — every token's gradient u_j is taken at the chunk-start
 * weights M_0. With S_t = η_t·S_{t−1} − θ_t·u_t and M_t = β_t·M_{t−1} + S_t (β = 1 − α):
 *
 *   M_t = B_t·M_0 + b_t·S_0 − Σ_{j ≤ t} c_{t,j}·θ_j·u_j,   c_{t,j} = Σ_{j ≤ i ≤ t} Pβ(i, t)·Pη(j, i)
 *
 * with Pβ(i, t) = Π_{i<m≤t} β_m and Pη(j, i) = Π_{j<m≤i} η_m, so the coefficient matrix is one
 * small matmul of two triangular product matrices built in log space. For each memory layer with
 * key-pass inputs a_j and errors δ_j (u_j = a_jᵀ·δ_j), the layer output of query row t is then
 * `B_t·(a_t·W_0) + b_t·(a_t·S_0) − Σ_j c_{t,j}θ_j (a_t·a_j)·δ_j` — an attention-like masked matmul,
 * so a chunk costs a handful of plain 2-D matmuls per head and layer, and reading token t never
 * depends on tokens after it (causal). With `net.clipSurprise`, u_j is scaled as in
 * {@link memoryChunk}. M_n, the chunk-end memory, equals {@link memoryChunk}'s.
 *
 * Pure tf ops, nothing detached: `tf.grad` differentiates through it for outer-loop training.
 *
 * @example
 * ```ts
 * const { retrievals, weights } = memoryScan(net, weights0, { keys, values, queries }, gates, true);
 * ```
 * @param net - The head network.
 * @param weights - Chunk-start memory `[W; S]` per head and layer.
 * @param inputs - n tokens' keys, values and queries per head.
 * @param gates - θ, and η, α or their logs, `[heads × n]` each.
 * @param update - Also return the chunk-end memory.
 * @param options - Precomputed tables.
 * @returns Per-token retrievals and (if asked) the new memory (new tensors).
 */
export function memoryScan(net: MemoryNet, weights: MemoryWeights, inputs: ScanInputs, gates: ChunkGates, update: boolean, options: ScanOptions = {}): ScanResult {
  const [, n] = gates.lr.shape;
  const coeff = tokenCoefficients(gates, options.tables?.n === n ? options.tables : undefined);
  const cs = splitHeads(coeff.c);
  const lrs = rowsOf(gates.lr);
  const decays = rowsOf(coeff.decay);
  const ends = rowsOf(coeff.momentumEnd);
  const retrievals: Tensor2D[] = [];
  const next: HeadWeights[] = [];
  weights.forEach((head, h) => {
    const clip = net.clipSurprise;
    const pass = headPass(net, head, inputs.keys[h] as Tensor2D, inputs.values[h] as Tensor2D, clip !== null);
    let lr = lrs[h] as Tensor1D;
    if (clip !== null) lr = tf.mul(lr, tf.minimum(1, tf.div(clip, tf.sqrt(tf.add(pass.surpriseSq as Tensor1D, 1e-30)))));
    const c = cs[h] as Tensor2D; // [n, n+1]
    const bCol = tf.slice(c, [0, 0], [n, 1]);
    const cMat = tf.slice(c, [0, 1], [n, n]);
    const weighted = tf.mul(cMat, tf.reshape(lr, [1, n])) as Tensor2D; // c_{t,j}·θ_j, 0 for j > t
    const decay = tf.reshape(decays[h] as Tensor1D, [n, 1]);
    const queries = inputs.queries[h] as Tensor2D;
    let a = queries;
    let z = queries;
    for (let l = 0; l < net.depth; l++) {
      const w0 = swapOrientation(net, head.w[l] as Tensor2D, l); // [in × out]
      const s0 = swapOrientation(net, head.s[l] as Tensor2D, l);
      const base = tf.add(tf.mul(decay, matMul2d(a, w0)), tf.mul(bCol, matMul2d(a, s0)));
      const scores = tf.mul(matMulT(a, pass.inputs[l] as Tensor2D), weighted) as Tensor2D;
      const deltas = l === net.depth - 1 ? pass.outputDelta : tf.transpose(pass.deltasT[l] as Tensor2D);
      z = tf.sub(base, matMul2d(scores, deltas));
      if (l < net.depth - 1) a = activate(net.activation, z);
    }
    let y = net.norm ? layerNorm(z) : z;
    if (net.residual) y = tf.add(y, queries);
    retrievals.push(y);
    if (update) {
      const last = tf.reshape(tf.slice(c, [n - 1, 0], [1, n + 1]), [n + 1]);
      const end = ends[h] as Tensor1D;
      const minusLr = tf.reshape(tf.neg(lr), [1, n]);
      const grads = headGradients(net, pass, [tf.mul(tf.slice(last, 1, n), minusLr), tf.mul(tf.slice(end, 1, n), minusLr)]);
      const scalars = { decay: tf.slice(decays[h] as Tensor1D, n - 1, 1), carry: tf.slice(last, 0, 1), momentumDecay: tf.slice(end, 0, 1) };
      next.push(applyUpdate(head, grads, scalars));
    }
  });
  return { retrievals, weights: update ? next : undefined };
}
