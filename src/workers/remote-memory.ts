import { TitansError } from '../errors/titans-error.js';
import type { MemoryState } from '../memory/memory-state.js';
import type { TokenMemoryProcessOptions, TokenMemoryResult } from '../memory/token-memory.js';
import type { ResolvedTokenMemoryConfig } from '../memory/token-memory-config.js';
import type { StreamMemory } from '../pipeline/stream-memory.js';
import type { PoolWorker } from './pool-worker.js';

/**
 * A key's memory living in a worker thread, seen as a {@link StreamMemory}. Requests go to the
 * worker in the order they are made and the worker handles them in that order, so a chunk sent
 * before an export is in the exported state.
 */
export class RemoteMemory implements StreamMemory {
  #tokensSeen = 0;

  /**
   * Opens the key's memory on `worker`.
   *
   * @param worker - The worker the key is sharded to.
   * @param key - The state key.
   * @param name - The memory's name on the worker, unique in the pool.
   * @param config - The configuration of every memory of the pool.
   */
  constructor(
    private readonly worker: PoolWorker,
    readonly key: string,
    readonly name: string,
    readonly config: ResolvedTokenMemoryConfig,
  ) {
    worker.post({ type: 'open', memory: name });
  }

  /** Tokens sent to the memory so far (it absorbs every token it is sent; some may still be on their way). */
  get tokensSeen(): number {
    return this.#tokensSeen;
  }

  /** Sends tokens to the worker; several calls may be in flight, and are answered in order. */
  async process(tokens: Int32Array, options: TokenMemoryProcessOptions = {}): Promise<TokenMemoryResult> {
    const firstIndex = this.#tokensSeen;
    this.#tokensSeen += tokens.length;
    // Copied by postMessage (a chunk is small: transferring would cost more).
    const reply = await this.worker.request({ type: 'process', memory: this.name, tokens, outputs: options.outputs ?? {} }, 'result');
    if (reply.tokensSeen !== firstIndex + tokens.length) {
      throw new TitansError('ERR_WORKER', `memory of key "${this.key}" is at token ${reply.tokensSeen}, expected ${firstIndex + tokens.length}`);
    }
    return {
      count: tokens.length,
      firstIndex,
      ...(reply.loss === undefined ? {} : { loss: reply.loss }),
      ...(reply.surprise === undefined ? {} : { surprise: reply.surprise }),
      ...(reply.topK === undefined ? {} : { topK: reply.topK }),
      ...(reply.retrievals === undefined ? {} : { retrievals: reply.retrievals }),
    };
  }

  async exportState(): Promise<MemoryState> {
    return (await this.worker.request({ type: 'export', memory: this.name }, 'state')).state;
  }

  /** Sends the state to the worker; a failure to import shows in the key's next request. */
  importState(state: MemoryState): void {
    this.worker.post({ type: 'import', memory: this.name, state });
    this.#tokensSeen = state.tokensSeen;
  }

  dispose(): void {
    this.worker.post({ type: 'dispose', memory: this.name });
  }
}
