import { ConfigError, InputError } from '../errors/index.js';
import type { ChunkRunner } from './chunk-runner.js';
import { configFingerprint } from './config-fingerprint.js';
import type { MemoryState } from './memory-state.js';
import type { ResolvedNeuralMemoryConfig } from './neural-memory-config.js';
import type { ResolvedTokenMemoryConfig } from './token-memory-config.js';

/**
 * What {@link NeuralMemory} and {@link TokenMemory} share: configuration, counters, snapshots
 * and disposal around a {@link ChunkRunner}.
 */
export abstract class MemoryBase<C extends ResolvedNeuralMemoryConfig | ResolvedTokenMemoryConfig> {
  /** The resolved configuration. */
  readonly config: C;
  /** {@link configFingerprint} of {@link config}. */
  readonly fingerprint: string;
  /** The streaming engine. */
  protected readonly runner: ChunkRunner;
  private disposed = false;

  protected constructor(config: C, runner: ChunkRunner) {
    this.config = config;
    this.fingerprint = configFingerprint(config);
    this.runner = runner;
  }

  /** Tokens absorbed so far, including those of the pending partial chunk. */
  get tokensSeen(): number {
    return this.runner.tokensSeen;
  }

  /** Chunk updates applied so far. */
  get chunksApplied(): number {
    return this.runner.chunksApplied;
  }

  /** @throws {@link InputError} `ERR_DISPOSED` after {@link dispose}. */
  protected check(): void {
    if (this.disposed) throw new InputError('ERR_DISPOSED', `this ${this.constructor.name} has been disposed`);
  }

  /**
   * Snapshot of everything that continues the stream: weights, momentum, pending tokens, causal
   * context, counters and the configuration. Captured when called; later calls do not change it.
   *
   * @example
   * ```ts
   * const state = await memory.exportState();
   * ```
   * @returns A plain, structured-clone-able snapshot.
   */
  async exportState(): Promise<MemoryState> {
    this.check();
    const { arrays, tokensSeen, chunksApplied } = await this.runner.exportArrays();
    return {
      format: 'titans-stream.memory-state',
      version: 1,
      kind: this.config.kind,
      config: this.config,
      fingerprint: this.fingerprint,
      tokensSeen,
      chunksApplied,
      arrays,
    };
  }

  /**
   * Replaces the state with a snapshot taken from a memory of the same class and configuration;
   * continuing then equals continuing the memory the snapshot came from.
   *
   * @example
   * ```ts
   * memory.importState(await other.exportState());
   * ```
   * @param state - A snapshot from {@link exportState}.
   * @throws {@link ConfigError} `state.config` when the snapshot's configuration differs;
   *   {@link InputError} `ERR_MEMORY_STATE` when it is malformed.
   */
  importState(state: MemoryState): void {
    this.check();
    if (state.format !== 'titans-stream.memory-state' || state.version !== 1 || state.kind !== this.config.kind) {
      throw new InputError(
        'ERR_MEMORY_STATE',
        `not a version-1 ${this.config.kind} state (format ${String(state.format)}, version ${String(state.version)}, kind ${String(state.kind)})`,
      );
    }
    const fingerprint = configFingerprint(state.config);
    if (fingerprint !== this.fingerprint) {
      throw new ConfigError('state.config', `snapshot configuration (fingerprint ${fingerprint}) differs from this memory's (${this.fingerprint})`);
    }
    if (!Number.isSafeInteger(state.tokensSeen) || !Number.isSafeInteger(state.chunksApplied) || state.tokensSeen < 0 || state.chunksApplied < 0) {
      throw new InputError('ERR_MEMORY_STATE', `invalid counters tokensSeen ${String(state.tokensSeen)}, chunksApplied ${String(state.chunksApplied)}`);
    }
    this.runner.importArrays(state.arrays, state.tokensSeen, state.chunksApplied);
  }

  /** Frees the subclass's own parameters. */
  protected abstract disposeParams(): void;

  /**
   * Frees every tensor the memory holds. Idempotent; other methods throw afterwards.
   *
   * @example
   * ```ts
   * memory.dispose();
   * ```
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.runner.dispose();
    this.disposeParams();
  }
}
