import { TokenMemory, type TokenMemoryConfig } from '../../src/memory/index.js';
import { memoryWeightNorm } from '../../src/metrics/index.js';
import { neuralMemory, type MemoryEvent, type TokenChunk } from '../../src/pipeline/index.js';
import type { AsyncOperator } from '../../src/stream/index.js';
import { tf, type BackendName } from '../../src/tensor/index.js';
import { neuralMemoryPool } from '../../src/workers/index.js';

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
  /** Live tensors only (cheap; for the metrics endpoint). */
  numTensors(): Promise<number>;
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
    numTensors: () => Promise.resolve(tf.memory().numTensors),
  };
}

/** The keyed layer sharded over `workers` worker threads; the probe asks every worker. */
export function poolLayer(memory: TokenMemoryConfig, workers: number, backend: BackendName, signal: AbortSignal): SoakLayer {
  const operator = neuralMemoryPool({ memory, workers, backend, signal });
  return {
    operator,
    async probe() {
      const stats = await operator.stats({ weightNorms: true });
      return {
        numTensors: stats.workers.reduce((sum, w) => sum + w.numTensors, 0),
        weightNorms: stats.workers.flatMap((w) => Object.values(w.weightNorms)),
      };
    },
    async numTensors() {
      const stats = await operator.stats();
      return stats.workers.reduce((sum, w) => sum + w.numTensors, 0);
    },
  };
}
