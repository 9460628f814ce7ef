import { ConfigError } from '../errors/index.js';
import { bool, integerAtLeast, rejectUnknownKeys } from './config-checks.js';
import { MEMORY_OPTION_KEYS, resolveMemoryOptions } from './memory-config.js';
import type { MemoryOptions, ResolvedMemoryOptions } from './memory-config.js';

/** Configuration of a {@link NeuralMemory} (a Titans neural memory layer over vectors). */
export interface NeuralMemoryConfig extends MemoryOptions {
  /** Width of the input and output vectors. */
  readonly dim: number;
  /** Kernel size of the causal depthwise convolution after the k/v/q projections; 0 = none (default 0). */
  readonly convKernel?: number;
  /** Scale each input row to unit RMS (after dividing by its largest magnitude, so huge values cannot overflow) (default true). */
  readonly normalizeInput?: boolean;
  /** L2-normalise keys and queries per head (default true). */
  readonly normalizeQueryKey?: boolean;
}

/** {@link NeuralMemoryConfig} with every default filled in (JSON-serialisable). */
export interface ResolvedNeuralMemoryConfig extends ResolvedMemoryOptions {
  readonly kind: 'neural-memory';
  readonly dim: number;
  readonly convKernel: number;
  readonly normalizeInput: boolean;
  readonly normalizeQueryKey: boolean;
}

const KEYS = [...MEMORY_OPTION_KEYS, 'kind', 'dim', 'convKernel', 'normalizeInput', 'normalizeQueryKey'] as const;

/**
 * Validates a {@link NeuralMemoryConfig} and fills in defaults. Idempotent: a resolved
 * configuration resolves to itself.
 *
 * @example
 * ```ts
 * const config = resolveNeuralMemoryConfig({ dim: 256, heads: 4, depth: 2, expansion: 4 });
 * ```
 * @param config - The configuration.
 * @returns The resolved configuration.
 * @throws {@link ConfigError} naming the first invalid field (zero dims, chunk size 0, unknown loss, unknown option, …).
 */
export function resolveNeuralMemoryConfig(config: NeuralMemoryConfig): ResolvedNeuralMemoryConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('config', `must be an object, got ${String(config)}`);
  rejectUnknownKeys(config, KEYS);
  if ((config as { kind?: unknown }).kind !== undefined && (config as { kind?: unknown }).kind !== 'neural-memory') {
    throw new ConfigError('kind', `must be "neural-memory", got ${JSON.stringify((config as { kind?: unknown }).kind)}`);
  }
  const dim = integerAtLeast(config.dim, 'dim', 1);
  return {
    kind: 'neural-memory',
    dim,
    ...resolveMemoryOptions(config, dim),
    convKernel: integerAtLeast(config.convKernel ?? 0, 'convKernel', 0),
    normalizeInput: bool(config.normalizeInput ?? true, 'normalizeInput'),
    normalizeQueryKey: bool(config.normalizeQueryKey ?? true, 'normalizeQueryKey'),
  };
}
