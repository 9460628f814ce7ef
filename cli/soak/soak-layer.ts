import { TokenMemory, type TokenMemoryConfig } from '../../src/memory/index.js';
import { memoryWeightNorm } from '../../src/metrics/index.js';
import { neuralMemory, type MemoryEvent, type TokenChunk } from '../../src/pipeline/index.js';
import type { AsyncOperator } from '../../src/stream/index.js';
import { tf } from '../../src/tensor/index.js';

/** What a soak run reads from the memory layer at every sample. */
export interface SoakProbe {
  /** Live tensors (summed over every TensorFlow.js instance the layer uses). */
  readonly numTensors: number;
  /** Weight norm of every live memory. */
  readonly weightNorms: readonly number[];
}

/** The memory layer a soak run drives, and how to look inside it. */
export interface SoakLayer {
  readonly operator: AsyncOperator<TokenChunk, MemoryEvent>;
  /** Reads the probe; call it between two events (the layer then waits for the next pull). */
  probe(): Promise<SoakProbe>;
}

/** The keyed layer in the main thread, with a handle on every memory it makes. */
export function mainThreadLayer(memory: TokenMemoryConfig, signal: AbortSignal): SoakLayer {
  const live = new Map<string, TokenMemory>();
  const operator = neuralMemory({
    signal,
    create: (key) => {
      const created = TokenMemory.create(memory);
      live.set(key, created);
      return created;
    },
  });
  return {
    operator,
    async probe() {
      const weightNorms = await Promise.all([...live.values()].map(async (m) => memoryWeightNorm(await m.exportState())));
      return { numTensors: tf.memory().numTensors, weightNorms };
    },
  };
}
