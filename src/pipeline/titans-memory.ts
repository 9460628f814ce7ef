import { SnapshotError } from '../errors/snapshot-error.js';
import { configFingerprint } from '../memory/config-fingerprint.js';
import type { MemoryState } from '../memory/memory-state.js';
import type { TokenMemoryProcessOptions, TokenMemoryResult } from '../memory/token-memory.js';
import type { TitansModel } from '../model/titans-model.js';
import type { TitansStreamConfig } from '../model/titans-stream-config.js';
import type { TitansStream } from '../model/titans-stream.js';
import type { StreamMemory } from './stream-memory.js';

/**
 * One {@link TitansStream} of a trained model as a {@link StreamMemory}, so that the keyed layer
 * drives it like any memory: per-token `loss` and `surprise` are both the token's negative
 * log-likelihood in nats (the same array), `predictions` are the model's top-k next tokens, and
 * the stream's state travels as a `titans-stream` {@link MemoryState}.
 *
 * @example
 * ```ts
 * const memory = new TitansMemory(model, titansStreamConfig(model));
 * const { loss } = await memory.process(tokens);
 * memory.dispose();
 * ```
 */
export class TitansMemory implements StreamMemory {
  readonly #stream: TitansStream;

  /**
   * @param model - The model (shared; not disposed with this memory).
   * @param config - `titansStreamConfig(model)`, computed once and shared by every key.
   */
  constructor(
    model: TitansModel,
    readonly config: TitansStreamConfig,
  ) {
    this.#stream = model.stream();
  }

  /** Tokens absorbed so far. */
  get tokensSeen(): number {
    return this.#stream.tokensSeen;
  }

  /**
   * Feeds the next tokens of the key's stream.
   *
   * @param tokens - Token ids in [0, vocabSize).
   * @param options - `outputs.predictions` = top-k (retrievals are not available from a model).
   * @returns Per-token negative log-likelihood as `loss` and `surprise`, and top-k when asked.
   * @throws {@link InputError} for a token outside the vocabulary.
   */
  async process(tokens: Int32Array, options: TokenMemoryProcessOptions = {}): Promise<TokenMemoryResult> {
    const k = options.outputs?.predictions ?? 0;
    const r = await this.#stream.process(tokens, { topK: k });
    return { count: r.count, firstIndex: r.firstIndex, loss: r.nll, surprise: r.nll, ...(r.topK === undefined || k === 0 ? {} : { topK: r.topK }) };
  }

  /**
   * The stream's state as a `titans-stream` memory state (completed segments as `chunksApplied`).
   *
   * @returns A plain snapshot.
   */
  async exportState(): Promise<MemoryState> {
    const s = await this.#stream.exportState();
    return {
      format: 'titans-stream.memory-state',
      version: 1,
      kind: 'titans-stream',
      config: this.config,
      fingerprint: configFingerprint(this.config),
      tokensSeen: s.tokensSeen,
      chunksApplied: s.position / this.config.model.segment,
      arrays: s.arrays,
    };
  }

  /**
   * Continues from a state exported by a memory of the same model.
   *
   * @param state - From {@link exportState}.
   * @throws {@link SnapshotError} `ERR_SNAPSHOT_CONFIG` when it is another kind of state or was
   *   written with another model; `ERR_SNAPSHOT_CORRUPT` when its arrays or counters are inconsistent.
   */
  importState(state: MemoryState): void {
    if (state.kind !== 'titans-stream' || state.config.kind !== 'titans-stream') {
      throw new SnapshotError('ERR_SNAPSHOT_CONFIG', `cannot restore a ${String(state.kind)} state into a Titans model stream`);
    }
    const { config } = state;
    if (config.weights !== this.config.weights || configFingerprint(config.model) !== configFingerprint(this.config.model)) {
      throw new SnapshotError('ERR_SNAPSHOT_CONFIG', `the state was written with another model (${config.model.arch}, weights ${config.weights}); this model is ${this.config.model.arch} with weights ${this.config.weights}`);
    }
    const cached = state.arrays.find((a) => a.name === 'l0.keys')?.shape[0] ?? 0;
    try {
      this.#stream.importState({
        format: 'titans-stream.model-state',
        version: 1,
        fingerprint: configFingerprint(this.config.model),
        position: state.chunksApplied * this.config.model.segment,
        cached,
        tokensSeen: state.tokensSeen,
        arrays: state.arrays,
      });
    } catch (error) {
      throw new SnapshotError('ERR_SNAPSHOT_CORRUPT', `cannot restore a Titans model stream: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
  }

  /** Frees the stream's state (not the model). */
  dispose(): void {
    this.#stream.dispose();
  }
}
