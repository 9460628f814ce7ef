import { ConfigError } from '../errors/index.js';
import { integerAtLeast, numberIn, rejectUnknownKeys } from './config-checks.js';
import { MEMORY_OPTION_KEYS, resolveMemoryOptions } from './memory-config.js';
import type { MemoryOptions, ResolvedMemoryOptions } from './memory-config.js';

/** Configuration of a {@link TokenMemory} (the predictive wiring over token ids). */
export interface TokenMemoryConfig extends MemoryOptions {
  /** Number of token ids, ≥ 2 (e.g. 260 for the byte tokenizer). */
  readonly vocabSize: number;
  /** Embedding width; heads × headDim must equal it (default 64). */
  readonly dim?: number;
  /** Tokens summarised into a key / query by the causal convolution (default 4). */
  readonly contextSize?: number;
  /** Softmax temperature of the next-token predictions (default 0.1). */
  readonly temperature?: number;
}

/** {@link TokenMemoryConfig} with every default filled in (JSON-serialisable). */
export interface ResolvedTokenMemoryConfig extends ResolvedMemoryOptions {
  readonly kind: 'token-memory';
  readonly vocabSize: number;
  readonly dim: number;
  readonly contextSize: number;
  readonly temperature: number;
}

const KEYS = [...MEMORY_OPTION_KEYS, 'kind', 'vocabSize', 'dim', 'contextSize', 'temperature'] as const;

/**
 * Defaults of a token memory that differ from the library-wide memory defaults: fixed gates
 * (random gate projections would only add noise to an untrained wiring), no forgetting, chunks of
 * 32. Chosen on the built-in sample logs (1,500 lines, 2% anomalies): about 73% top-1 next-byte
 * accuracy, and per-line mean surprise ranks the injected anomalies with an AUC of about 0.88.
 */
export const TOKEN_MEMORY_DEFAULTS: MemoryOptions = {
  depth: 2,
  expansion: 2,
  chunkSize: 32,
  learningRate: 0.05,
  momentum: 0.5,
  forget: 0,
};

/**
 * Validates a {@link TokenMemoryConfig} and fills in defaults ({@link TOKEN_MEMORY_DEFAULTS}).
 * Idempotent: a resolved configuration resolves to itself.
 *
 * @example
 * ```ts
 * const config = resolveTokenMemoryConfig({ vocabSize: 260 });
 * ```
 * @param config - The configuration.
 * @returns The resolved configuration.
 * @throws {@link ConfigError} naming the first invalid field.
 */
export function resolveTokenMemoryConfig(config: TokenMemoryConfig): ResolvedTokenMemoryConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('config', `must be an object, got ${String(config)}`);
  rejectUnknownKeys(config, KEYS);
  if ((config as { kind?: unknown }).kind !== undefined && (config as { kind?: unknown }).kind !== 'token-memory') {
    throw new ConfigError('kind', `must be "token-memory", got ${JSON.stringify((config as { kind?: unknown }).kind)}`);
  }
  const vocabSize = integerAtLeast(config.vocabSize, 'vocabSize', 2);
  const dim = integerAtLeast(config.dim ?? 64, 'dim', 1);
  const options = resolveMemoryOptions(config, dim, TOKEN_MEMORY_DEFAULTS);
  if (options.heads * options.headDim !== dim) {
    throw new ConfigError('headDim', `heads × headDim must equal dim (values are the token embeddings), got ${options.heads} × ${options.headDim} ≠ ${dim}`);
  }
  return {
    kind: 'token-memory',
    vocabSize,
    dim,
    ...options,
    contextSize: integerAtLeast(config.contextSize ?? 4, 'contextSize', 1),
    temperature: numberIn(config.temperature ?? 0.1, 'temperature', 0, Infinity, { lo: true }),
  };
}
