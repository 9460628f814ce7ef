import { ConfigError, InputError } from '../errors/index.js';
import { SeededRandom } from '../random/index.js';
import { tf } from '../tensor/index.js';
import { defined } from './tidy.js';
import type { Tensor, Tensor1D, Tensor2D } from '../tensor/index.js';
import { ChunkRunner } from './chunk-runner.js';
import { MemoryBase } from './memory-base.js';
import { initGateParams } from './gates.js';
import type { GateParams } from './gates.js';
import { memoryNetOf } from './memory-config.js';
import { initMemoryWeights } from './memory-net.js';
import type { MemoryState } from './memory-state.js';
import { resolveNeuralMemoryConfig } from './neural-memory-config.js';
import type { NeuralMemoryConfig, ResolvedNeuralMemoryConfig } from './neural-memory-config.js';
import { initNeuralMemoryParams, neuralMemoryFeatures, neuralMemoryGateSource, neuralMemoryParamTensors } from './neural-memory-features.js';
import type { NeuralMemoryParams } from './neural-memory-features.js';

/** Which per-token outputs {@link NeuralMemory.process} returns (default: all). */
export interface NeuralMemoryOutputs {
  /** The layer output: retrievals of all heads through the output projection, `[n × dim]`. */
  readonly retrievals?: boolean;
  /** Associative loss ℓ_t summed over heads. */
  readonly loss?: boolean;
  /** Surprise ‖∇_M ℓ_t‖ over all heads (before clipping). */
  readonly surprise?: boolean;
}

/** Options of {@link NeuralMemory.process}. */
export interface NeuralMemoryProcessOptions {
  /** Outputs to compute. */
  readonly outputs?: NeuralMemoryOutputs;
}

/** Per-token outputs of one {@link NeuralMemory.process} call, as plain arrays. */
export interface NeuralMemoryResult {
  /** Tokens (rows) in this call. */
  readonly count: number;
  /** Stream index of the call's first token. */
  readonly firstIndex: number;
  /** `[count × dim]` row-major. */
  readonly retrievals?: Float32Array;
  /** `[count]`. */
  readonly loss?: Float32Array;
  /** `[count]`. */
  readonly surprise?: Float32Array;
}

/** Per-token outputs of {@link NeuralMemory.processTensors}; the caller owns (and disposes) them. */
export interface NeuralMemoryTensors {
  readonly retrievals?: Tensor2D;
  readonly loss?: Tensor1D;
  readonly surprise?: Tensor1D;
}

/**
 * A Titans neural long-term memory over a stream of vectors (DESIGN §3): per head, a small
 * network M learns at test time to map keys to values with a momentum SGD step per token and
 * adaptive forgetting, applied in chunks with the chunked parallel update ({@link memoryChunk}).
 *
 * Feed any number of rows per call. Outputs of a token use the weights at the start of its
 * chunk, so they are returned at once; the tokens of an unfinished chunk are kept pending and
 * the update is applied when a later call completes the chunk. Hence one call and many calls
 * split anywhere give the same outputs and the same state (up to float rounding). Calls are
 * applied in the order they are made (each call's computation is synchronous).
 *
 * Tensor ownership: the memory owns its weights and buffers until {@link dispose}; inputs passed
 * as tensors stay the caller's.
 *
 * @example
 * ```ts
 * const memory = NeuralMemory.create({ dim: 256, heads: 4, depth: 2, expansion: 4, chunkSize: 64 });
 * const { retrievals, surprise } = await memory.process(new Float32Array(100 * 256));
 * const snapshot = await memory.exportState();
 * memory.dispose();
 * ```
 */
export class NeuralMemory extends MemoryBase<ResolvedNeuralMemoryConfig> {
  private readonly params: NeuralMemoryParams;
  private readonly gateParams: GateParams | undefined;

  private constructor(config: ResolvedNeuralMemoryConfig) {
    const rng = new SeededRandom(config.seed);
    const weights = initMemoryWeights(memoryNetOf(config), config.heads, rng.fork());
    const params = initNeuralMemoryParams(config, rng.fork());
    const gateParams = initGateParams(config, config.dim, rng.fork());
    const featurizer = {
      contextRows: Math.max(0, config.convKernel - 1),
      rowDtype: 'float32' as const,
      rowWidth: config.dim,
      featurize: (rows: Tensor, contextCount: number) => neuralMemoryFeatures(config, params, rows, contextCount),
      gateSource: (rows: Tensor, contextCount: number) => neuralMemoryGateSource(config, rows, contextCount),
    };
    super(config, new ChunkRunner(config, featurizer, weights, gateParams, (retrievals) => tf.matMul(retrievals, params.outProjection)));
    this.params = params;
    this.gateParams = gateParams;
  }

  /**
   * Creates a memory with seeded initial weights and parameters.
   *
   * @example
   * ```ts
   * const memory = NeuralMemory.create({ dim: 64, depth: 2, seed: 7 });
   * ```
   * @param config - The configuration.
   * @returns A new memory.
   * @throws {@link ConfigError} naming the first invalid field.
   */
  static create(config: NeuralMemoryConfig): NeuralMemory {
    return new NeuralMemory(resolveNeuralMemoryConfig(config));
  }

  /**
   * Creates a memory from a snapshot of {@link exportState}: same configuration, same state.
   *
   * @example
   * ```ts
   * const resumed = NeuralMemory.fromState(snapshot);
   * ```
   * @param state - A snapshot.
   * @returns A memory that continues where the snapshot stopped.
   * @throws {@link ConfigError} if the snapshot is not a neural-memory snapshot; {@link InputError} if it is malformed.
   */
  static fromState(state: MemoryState): NeuralMemory {
    if (state.kind !== 'neural-memory') throw new ConfigError('state.kind', `expected a neural-memory snapshot, got ${String(state.kind)}`);
    const memory = NeuralMemory.create(state.config as NeuralMemoryConfig);
    try {
      memory.importState(state);
    } catch (e) {
      memory.dispose();
      throw e;
    }
    return memory;
  }

  /**
   * Like {@link process}, but synchronous and returning tensors (for composing with other tf
   * code). The caller owns the returned tensors.
   *
   * @example
   * ```ts
   * const { retrievals } = memory.processTensors(x); // x: Tensor2D [n × dim]
   * retrievals?.dispose();
   * ```
   * @param x - `[n × dim]` rows: a row-major Float32Array, or a tensor (not disposed; its values are
   *   read back to the CPU, because the memory builds each chunk from plain arrays).
   * @param options - Outputs to compute.
   * @returns The requested outputs.
   * @throws {@link InputError} `ERR_INPUT_SHAPE` for input of the wrong width.
   */
  processTensors(x: Tensor2D | Float32Array, options: NeuralMemoryProcessOptions = {}): NeuralMemoryTensors {
    this.check();
    const dim = this.config.dim;
    if (x instanceof Float32Array ? x.length % dim !== 0 : x.rank !== 2 || x.shape[1] !== dim) {
      const got = x instanceof Float32Array ? `${x.length} values` : `shape [${x.shape.join(', ')}]`;
      throw new InputError('ERR_INPUT_SHAPE', `NeuralMemory input must be [n × ${dim}], got ${got}`);
    }
    const rows = x instanceof Float32Array ? x : (x.dataSync() as Float32Array);
    const o = options.outputs ?? {};
    const want = { retrievals: o.retrievals ?? true, loss: o.loss ?? true, surprise: o.surprise ?? true };
    return this.runner.run(rows, want);
  }

  /**
   * Feeds rows through the memory: per-token outputs at the chunk-start weights, and a memory
   * update for every chunk that becomes complete.
   *
   * @example
   * ```ts
   * const r = await memory.process(rows, { outputs: { retrievals: false } });
   * r.surprise; // Float32Array, one value per row
   * ```
   * @param x - `[n × dim]` rows: a tensor (not disposed) or a row-major Float32Array.
   * @param options - Outputs to compute (default: all).
   * @returns The outputs as plain arrays.
   * @throws {@link InputError} `ERR_INPUT_SHAPE` for input of the wrong width.
   */
  async process(x: Tensor2D | Float32Array, options: NeuralMemoryProcessOptions = {}): Promise<NeuralMemoryResult> {
    const firstIndex = this.tokensSeen;
    const out = this.processTensors(x, options);
    try {
      const count = this.tokensSeen - firstIndex;
      return {
        count,
        firstIndex,
        ...(out.retrievals ? { retrievals: (await out.retrievals.data()) as Float32Array } : {}),
        ...(out.loss ? { loss: (await out.loss.data()) as Float32Array } : {}),
        ...(out.surprise ? { surprise: (await out.surprise.data()) as Float32Array } : {}),
      };
    } finally {
      tf.dispose([out.retrievals, out.loss, out.surprise].filter(defined));
    }
  }

  protected override disposeParams(): void {
    tf.dispose(neuralMemoryParamTensors(this.params));
    if (this.gateParams) tf.dispose([this.gateParams.weight, this.gateParams.bias]);
  }
}
