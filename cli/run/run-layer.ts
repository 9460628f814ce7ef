import { loadCheckpointDirectory } from '../../connectors/fs/index.js';
import { resolveTokenMemoryConfig, type TokenMemoryConfig } from '../../src/memory/index.js';
import { titansStreamConfig, type TitansModel } from '../../src/model/index.js';
import { neuralMemory, titans, type KeyedLayerSpec } from '../../src/pipeline/index.js';
import { neuralMemoryPool, type MemoryWorkers } from '../../src/workers/index.js';

/** What `run` streams the records through: the layer, and how to describe it in the summary. */
export interface RunLayer extends KeyedLayerSpec {
  /** For the JSON summary. */
  readonly summary: Readonly<Record<string, unknown>>;
  /** For the text summary. */
  readonly line: string;
  /** Whether the per-token loss is a negative log-likelihood in nats (a trained model). */
  readonly nll: boolean;
  /** Frees the model, if any. */
  dispose(): void;
}

/** The untrained Titans memory (a byte-level `TokenMemory` per key), on `pool`'s worker threads when given. */
export function memoryRunLayer(memory: TokenMemoryConfig, pool?: MemoryWorkers): RunLayer {
  const resolved = resolveTokenMemoryConfig(memory);
  return {
    chunkSize: resolved.chunkSize,
    config: resolved,
    layer: (options) => (pool === undefined ? neuralMemory({ memory, ...options }) : neuralMemoryPool({ ...options, pool })),
    summary: { memory: { dim: resolved.dim, depth: resolved.depth, heads: resolved.heads, chunkSize: resolved.chunkSize } },
    nll: false,
    line: `memory    dim ${resolved.dim}, depth ${resolved.depth}, ${resolved.heads} head(s), chunk ${resolved.chunkSize}`,
    dispose: () => undefined,
  };
}

/** The byte a trained model reads between records: it was trained on lines of text. */
const NEWLINE = 10;

/**
 * A trained model from a checkpoint directory (one stream per key); `chunkSize` defaults to four
 * segments (calls of whole segments avoid recomputing a partial one). Records are separated by a
 * newline, as in the model's training text.
 *
 * @throws {InputError} naming the checkpoint file and its problem when the directory is unusable.
 */
export async function modelRunLayer(dir: string, chunkSize: number | undefined): Promise<RunLayer> {
  const { model, manifest } = await loadCheckpointDirectory(dir, { optimizer: false });
  let config;
  try {
    config = titansStreamConfig(model);
  } catch (error) {
    model.dispose();
    throw error;
  }
  const { arch, dim, layers, segment } = model.config;
  const chunk = chunkSize ?? 4 * segment;
  const described = { dir, arch, dim, layers, segment, parameters: model.parameterCount, step: manifest.step, weights: config.weights };
  return {
    chunkSize: chunk,
    config,
    layer: (options) => titans(model as TitansModel, options),
    recordSeparator: NEWLINE,
    summary: { model: described, chunkSize: chunk },
    nll: true,
    line: `model     ${arch} from ${dir} (step ${manifest.step}, ${model.parameterCount} parameters, dim ${dim}, ${layers} block(s), segment ${segment}), chunk ${chunk}`,
    dispose: () => model.dispose(),
  };
}
