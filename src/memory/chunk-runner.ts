import { InputError } from '../errors/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor, Tensor1D, Tensor2D } from '../tensor/index.js';
import { chunkCoefficients } from './chunk-coefficients.js';
import type { ChunkCoefficients } from './chunk-coefficients.js';
import { allGatesFixed, chunkGates, chunkLogGates } from './gates.js';
import type { GateParams } from './gates.js';
import type { ResolvedMemoryOptions } from './memory-config.js';
import { memoryNetOf } from './memory-config.js';
import { memoryChunk, memoryOutputs } from './memory-chunk.js';
import type { MemoryChunkOutputs } from './memory-chunk.js';
import { layerDims, swapOrientation } from './memory-net.js';
import type { HeadWeights, MemoryNet, MemoryWeights } from './memory-net.js';
import type { StateArray } from './memory-state.js';
import { splitHeads } from './split-heads.js';
import { defined, tidy } from './tidy.js';

/** Per-head keys, values and queries of a run of tokens, `[m × headDim]` each. */
export interface Features {
  readonly keys: Tensor2D[];
  readonly values: Tensor2D[];
  readonly queries: Tensor2D[];
}

/** Raw input rows: vectors (float32, `width` values per row) or token ids (int32, width 1). */
export type RawRows = Float32Array | Int32Array;

/** Turns raw input rows (vectors or token ids) into per-head features. */
export interface Featurizer {
  /** Raw rows before a token that its features depend on (conv / key-summary window). */
  readonly contextRows: number;
  /** Values per raw row. */
  readonly rowWidth: number;
  /** dtype of raw rows. */
  readonly rowDtype: 'float32' | 'int32';
  /**
   * Features of the rows after the first `contextCount` (context only, at most `contextRows`;
   * fewer means the stream starts there and the missing rows count as zero). `rows` is
   * `[contextCount + m, rowWidth]` (float32) or `[contextCount + m]` (int32). Synchronous tf ops;
   * called inside `tf.tidy`.
   */
  featurize(rows: Tensor, contextCount: number): Features;
  /**
   * `[m × g]` vectors the data-dependent gates read, of the rows after the first `contextCount`
   * (arguments as for {@link featurize}). Called only when a gate is data-dependent, once for up
   * to {@link GROUP_CHUNKS} chunks. Synchronous tf ops; called inside `tf.tidy`.
   */
  gateSource(rows: Tensor, contextCount: number): Tensor2D;
}

/** Which per-token outputs to compute. */
export interface Wanted {
  readonly retrievals: boolean;
  readonly loss: boolean;
  readonly surprise: boolean;
}

/** Per-token outputs of one run, owned by the caller. */
export interface RunOutputs {
  /** Retrievals of all heads side by side, `[n × heads·headDim]`, through the runner's output head if it has one. */
  readonly retrievals?: Tensor2D;
  readonly loss?: Tensor1D;
  readonly surprise?: Tensor1D;
}

function disposeHeads(weights: MemoryWeights | undefined): void {
  for (const head of weights ?? []) tf.dispose([...head.w, ...head.s]);
}

function concatRows(parts: RawRows[], like: RawRows): RawRows {
  const out = like instanceof Int32Array ? new Int32Array(parts.reduce((n, p) => n + p.length, 0)) : new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Chunks whose gates and chunk coefficients are computed together (features stay per chunk). */
const GROUP_CHUNKS = 16;

/** Chunk j's coefficients, for each j, out of those of `chunks` consecutive chunks (see {@link chunkLogGates}). */
function splitChunks(group: ChunkCoefficients, chunks: number): ChunkCoefficients[] {
  const [rows, two, c] = group.tokenWeights.shape;
  const heads = rows / chunks;
  const tokenWeights = splitHeads(tf.reshape(group.tokenWeights, [chunks, heads * two, c]));
  const scalars = splitHeads(tf.reshape(group.scalars, [chunks, heads, 3]));
  return tokenWeights.map((t, j) => ({ tokenWeights: tf.reshape(t, [heads, two, c]), scalars: scalars[j] as Tensor2D }));
}

/**
 * The streaming engine behind {@link NeuralMemory} and {@link TokenMemory}: feeds any number of
 * tokens per call through chunks of exactly `chunkSize`, so that one call and many calls split
 * anywhere give the same results.
 *
 * A token's outputs only need the weights at the start of its chunk, so they are emitted at
 * once. The raw rows of a partial chunk stay pending (plain typed arrays); when a later call fills
 * the chunk, its features are recomputed together with the new rows and the update is applied.
 * The raw rows just before the pending chunk are kept as context for causal windows. Every chunk's
 * features are built from its own small tensor of the typed arrays (slicing big tensors is slow
 * on WASM, where a slice copies its whole input, and its matmuls run faster on 64 rows than on
 * 1,024). The gates and chunk coefficients, which are small and do not depend on the memory, are
 * computed for up to {@link GROUP_CHUNKS} chunks at once and split per chunk: per chunk they were
 * about 50 small kernels. Each row's values do not depend on how the chunks are grouped, so the
 * results do not either. A call's state change is committed only when the whole call succeeded.
 *
 * @example
 * ```ts
 * const runner = new ChunkRunner(options, featurizer, initMemoryWeights(net, heads, rng), gateParams, (r) => tf.matMul(r, outProjection));
 * const { loss } = runner.run(new Int32Array([1, 2, 3]), { retrievals: false, loss: true, surprise: false });
 * ```
 */
export class ChunkRunner {
  private readonly net: MemoryNet;
  private weights: MemoryWeights;
  private context: RawRows;
  private pending: RawRows;
  private fixedCoefficients: ChunkCoefficients | undefined;
  private seen = 0;
  private applied = 0;

  constructor(
    private readonly options: ResolvedMemoryOptions,
    private readonly featurizer: Featurizer,
    weights: MemoryWeights,
    private readonly gateParams: GateParams | undefined,
    private readonly outputHead?: (retrievals: Tensor2D) => Tensor2D,
  ) {
    this.net = memoryNetOf(options);
    this.weights = weights;
    this.context = this.empty();
    this.pending = this.empty();
  }

  private empty(): RawRows {
    return this.featurizer.rowDtype === 'int32' ? new Int32Array(0) : new Float32Array(0);
  }

  /** Tokens absorbed so far, including pending ones. */
  get tokensSeen(): number {
    return this.seen;
  }

  /** Chunk updates applied so far. */
  get chunksApplied(): number {
    return this.applied;
  }

  /**
   * The coefficients of each of `chunks` consecutive chunks, computed together (one set of small
   * ops for all of them instead of one per chunk), or `undefined` when every gate is fixed (then
   * every chunk uses {@link fixedChunkCoefficients}). `source` gives the gates' input rows.
   */
  private groupCoefficients(source: () => Tensor2D, chunks: number): ChunkCoefficients[] | undefined {
    if (allGatesFixed(this.options)) return undefined;
    return tidy(() => splitChunks(chunkCoefficients(chunkLogGates(this.options, this.gateParams, source(), this.options.chunkSize, chunks)), chunks));
  }

  /** The coefficients of a chunk when every gate is fixed: the same for every chunk, computed once. */
  private fixedChunkCoefficients(): ChunkCoefficients {
    if (!this.fixedCoefficients) {
      this.fixedCoefficients = tidy(() => {
        const k = chunkCoefficients(chunkGates(this.options, undefined, undefined, this.options.chunkSize));
        return { tokenWeights: tf.keep(k.tokenWeights), scalars: tf.keep(k.scalars) };
      });
    }
    return this.fixedCoefficients;
  }

  private tensorOf(rows: RawRows): Tensor {
    const w = this.featurizer.rowWidth;
    return rows instanceof Int32Array ? tf.tensor1d(rows, 'int32') : tf.tensor2d(rows, [rows.length / w, w]);
  }

  /**
   * Processes `input` (raw rows, row-major) and returns the requested per-token outputs.
   * Synchronous; the returned tensors belong to the caller.
   *
   * @param input - Raw rows (not kept).
   * @param want - Outputs to compute.
   * @returns One output row per input row.
   */
  run(input: RawRows, want: Wanted): RunOutputs {
    const w = this.featurizer.rowWidth;
    const kappa = this.featurizer.contextRows;
    const c = this.options.chunkSize;
    const n = input.length / w;
    if (n === 0) return tidy(() => this.assemble([], want));
    const p = this.pending.length / w;
    const total = p + n;
    const full = Math.floor(total / c);
    // seq = pending ++ input; history = context ++ seq (context rows precede seq row 0).
    const seq = p > 0 ? concatRows([this.pending, input], input) : input;
    const ctxRows = this.context.length / w;
    const history = ctxRows > 0 ? concatRows([this.context, seq], input) : seq;
    /** History rows [max(0, start − κ), end) of seq rows [start, end): context + rows. */
    const window = (start: number, end: number): [RawRows, number] => {
      const from = Math.max(0, ctxRows + start - kappa);
      return [history.subarray(from * w, (ctxRows + end) * w), ctxRows + start - from];
    };
    let weights = this.weights;
    const pieces: MemoryChunkOutputs[] = [];
    let out: RunOutputs = {};
    try {
      for (let g0 = 0; g0 < full; g0 += GROUP_CHUNKS) {
        const chunks = Math.min(GROUP_CHUNKS, full - g0);
        const group = this.groupCoefficients(() => {
          const [raw, ctx] = window(g0 * c, (g0 + chunks) * c);
          return this.featurizer.gateSource(this.tensorOf(raw), ctx);
        }, chunks);
        try {
          for (let j = 0; j < chunks; j++) {
            const k = g0 + j;
            const skip = Math.max(0, p - k * c); // rows emitted by an earlier call
            const [raw, ctx] = window(k * c, (k + 1) * c);
            const chunkWeights = weights;
            const step = tidy(() => {
              const f = this.featurizer.featurize(this.tensorOf(raw), ctx);
              const r = memoryChunk(this.net, chunkWeights, { ...f, queries: want.retrievals ? f.queries : undefined }, group?.[j] ?? this.fixedChunkCoefficients(), {
                surprise: want.surprise,
              });
              const trim = <T extends Tensor>(t: T | undefined) => (t && skip > 0 ? (tf.slice(t, skip, c - skip) as T) : t);
              return {
                weights: r.weights as HeadWeights[],
                out: { retrievals: r.retrievals?.map(trim) as Tensor2D[] | undefined, loss: trim(r.loss) as Tensor1D, surprise: trim(r.surprise) },
              };
            });
            if (weights !== this.weights) disposeHeads(weights);
            weights = step.weights;
            pieces.push(step.out);
          }
        } finally {
          tf.dispose((group ?? []).flatMap((k) => [k.tokenWeights, k.scalars]));
        }
      }
      if (Math.max(full * c, p) < total) {
        const [raw, ctx] = window(Math.max(full * c, p), total);
        const chunkWeights = weights;
        pieces.push(
          tidy(() => {
            const f = this.featurizer.featurize(this.tensorOf(raw), ctx);
            return memoryOutputs(this.net, chunkWeights, { ...f, queries: want.retrievals ? f.queries : undefined }, { surprise: want.surprise });
          }),
        );
      }
      out = tidy(() => this.assemble(pieces, want));
      // Commit: weights, buffers, counters.
      const done = full * c;
      const [ctxNew] = window(done, done);
      if (weights !== this.weights) disposeHeads(this.weights);
      this.weights = weights;
      this.context = ctxNew.slice();
      this.pending = seq.slice(done * w);
      this.seen += n;
      this.applied += full;
      return out;
    } catch (e) {
      tf.dispose([out.retrievals, out.loss, out.surprise].filter(defined));
      if (weights !== this.weights) disposeHeads(weights);
      throw e;
    } finally {
      // Pieces not passed on as outputs (a single piece is passed on as is).
      const kept = new Set<Tensor>([out.retrievals, out.loss, out.surprise].filter(defined));
      for (const piece of pieces) {
        tf.dispose([...(piece.retrievals ?? []), piece.loss, piece.surprise].filter(defined).filter((t) => !kept.has(t)));
      }
    }
  }

  /**
   * The output head on one piece's retrievals. Applied piece by piece (a chunk or the tail), not
   * to the whole call: on WASM a matmul of 64 rows runs faster per row than one of 1,024.
   */
  private head(retrievals: Tensor2D): Tensor2D {
    return this.outputHead ? this.outputHead(retrievals) : retrievals;
  }

  private assemble(pieces: MemoryChunkOutputs[], want: Wanted): RunOutputs {
    if (pieces.length === 0) {
      const width = this.options.heads * this.options.headDim;
      pieces = [{ retrievals: [tf.zeros([0, width]) as Tensor2D], loss: tf.zeros([0]) as Tensor1D, surprise: tf.zeros([0]) as Tensor1D }];
    }
    const cat = <T extends Tensor>(ts: T[], axis = 0): T => (ts.length === 1 ? (ts[0] as T) : (tf.concat(ts, axis) as T));
    return {
      ...(want.retrievals ? { retrievals: cat(pieces.map((p) => this.head(cat(p.retrievals as Tensor2D[], 1)))) } : {}),
      ...(want.loss ? { loss: cat(pieces.map((p) => p.loss)) } : {}),
      ...(want.surprise ? { surprise: cat(pieces.map((p) => p.surprise as Tensor1D)) } : {}),
    };
  }

  /**
   * Copies of the memory and stream buffers as named plain arrays (weights in canonical
   * `[in × out]` orientation). Captured synchronously, so later calls do not change the result.
   *
   * @returns The arrays and counters of a {@link MemoryState}.
   */
  async exportArrays(): Promise<{ arrays: StateArray[]; tokensSeen: number; chunksApplied: number }> {
    const named = tidy(() => {
      const list: { name: string; tensor: Tensor }[] = [];
      this.weights.forEach((head, h) =>
        head.w.forEach((wt, l) => {
          for (const [what, t] of [['weight', wt], ['momentum', head.s[l] as Tensor2D]] as const) {
            list.push({ name: `h${h}.l${l}.${what}`, tensor: tf.keep(tf.clone(swapOrientation(this.net, t, l))) });
          }
        }),
      );
      return list;
    });
    const w = this.featurizer.rowWidth;
    const shapeOf = (rows: RawRows) => (rows instanceof Int32Array ? [rows.length] : [rows.length / w, w]);
    const buffers: StateArray[] = [
      { name: 'pending', shape: shapeOf(this.pending), dtype: this.featurizer.rowDtype, data: this.pending.slice() },
      { name: 'context', shape: shapeOf(this.context), dtype: this.featurizer.rowDtype, data: this.context.slice() },
    ];
    const tokensSeen = this.seen;
    const chunksApplied = this.applied;
    try {
      const arrays: StateArray[] = [];
      for (const { name, tensor } of named) {
        arrays.push({ name, shape: [...tensor.shape], dtype: 'float32', data: (await tensor.data()) as Float32Array });
      }
      return { arrays: [...arrays, ...buffers], tokensSeen, chunksApplied };
    } finally {
      tf.dispose(named.map((x) => x.tensor));
    }
  }

  /**
   * Replaces the memory, buffers and counters with those of an export.
   *
   * @param arrays - Arrays from {@link exportArrays}.
   * @param tokensSeen - Counter to restore.
   * @param chunksApplied - Counter to restore.
   * @throws {@link InputError} `ERR_MEMORY_STATE` when an array is missing or misshapen.
   */
  importArrays(arrays: readonly StateArray[], tokensSeen: number, chunksApplied: number): void {
    const byName = new Map(arrays.map((a) => [a.name, a]));
    const w = this.featurizer.rowWidth;
    const dtype = this.featurizer.rowDtype;
    const need = (name: string, shape: readonly number[] | undefined, kind: 'float32' | 'int32', maxRows = Infinity): StateArray => {
      const a = byName.get(name);
      const rowShape = kind === 'int32' ? [] : [w];
      const okShape =
        a !== undefined &&
        a.dtype === kind &&
        (kind === 'int32' ? a.data instanceof Int32Array : a.data instanceof Float32Array) &&
        (shape
          ? a.shape.length === shape.length && a.shape.every((d, i) => d === shape[i])
          : a.shape.length === 1 + rowShape.length && Number.isInteger(a.shape[0]) && (a.shape[0] as number) <= maxRows && a.shape.slice(1).every((d, i) => d === rowShape[i])) &&
        a.data.length === a.shape.reduce((x, y) => x * y, 1);
      if (!okShape) {
        const expected = shape ? `[${shape.join(', ')}]` : `[≤ ${maxRows}${kind === 'int32' ? '' : `, ${w}`}]`;
        throw new InputError('ERR_MEMORY_STATE', `memory state array "${name}" is missing or not ${kind} of shape ${expected}`);
      }
      return a;
    };
    const pending = need('pending', undefined, dtype, this.options.chunkSize - 1);
    const context = need('context', undefined, dtype, this.featurizer.contextRows);
    const dims = layerDims(this.net);
    const heads = Array.from({ length: this.options.heads }, (_, h) =>
      dims.map(([i, o], l) => [need(`h${h}.l${l}.weight`, [i, o], 'float32'), need(`h${h}.l${l}.momentum`, [i, o], 'float32')] as const),
    );
    const weights = tidy(() =>
      heads.map((layers): HeadWeights => {
        const stored = (a: StateArray, l: number) => swapOrientation(this.net, tf.tensor2d(a.data as Float32Array, [a.shape[0] as number, a.shape[1] as number]), l);
        return { w: layers.map(([wa], l) => stored(wa, l)), s: layers.map(([, sa], l) => stored(sa, l)) };
      }),
    );
    disposeHeads(this.weights);
    this.weights = weights;
    this.context = context.data.slice();
    this.pending = pending.data.slice();
    this.seen = tokensSeen;
    this.applied = chunksApplied;
  }

  /** Frees every tensor the runner holds (not the gate parameters, which the owner passed in). */
  dispose(): void {
    disposeHeads(this.weights);
    if (this.fixedCoefficients) tf.dispose([this.fixedCoefficients.tokenWeights, this.fixedCoefficients.scalars]);
    this.weights = [];
    this.fixedCoefficients = undefined;
  }
}
