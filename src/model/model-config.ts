import { ConfigError } from '../errors/index.js';
import { MEMORY_OPTION_KEYS, resolveMemoryOptions } from '../memory/index.js';
import type { MemoryOptions, ResolvedMemoryOptions } from '../memory/index.js';
import { bool, integerAtLeast, numberIn, oneOf, rejectUnknownKeys, seedValue } from '../memory/config-checks.js';
import { MLP_KINDS } from './mlp.js';
import type { MlpKind } from './mlp.js';

/** The model variants: Titans MAC / MAG / MAL / LMM, and the sliding-window-attention baseline. */
export const ARCHS = ['mac', 'mag', 'mal', 'lmm', 'swa'] as const;

/** A model variant. */
export type Arch = (typeof ARCHS)[number];


/** Configuration of a {@link TitansModel}. */
export interface TitansModelConfig {
  /** Which variant (DESIGN §4). */
  readonly arch: Arch;
  /** Token ids 0 … vocabSize − 1 (default 260, the byte tokenizer). */
  readonly vocabSize?: number;
  /** Id fed before the first token of every stream (default 256, the byte tokenizer's BOS). */
  readonly bosId?: number;
  /** Model width (default 64). */
  readonly dim?: number;
  /** Blocks (default 2). */
  readonly layers?: number;
  /** Attention heads; dim / heads must be even (default 4). */
  readonly heads?: number;
  /** Tokens per segment: the memory's chunk size and MAC's attention span (default 32). */
  readonly segment?: number;
  /** Sliding-window length including the token itself (MAG, MAL, SWA; default 64). */
  readonly window?: number;
  /** Learned persistent tokens every attention sees (default 4). */
  readonly persistent?: number;
  /**
   * Taps of the causal depthwise convolution over the memory's key, value and query projections
   * (default 4; 1 = none). It lets a key hold the previous tokens, so that the memory can learn
   * "what followed this context" — without it a memory-only model (LMM) cannot associate a token
   * with the next one.
   */
  readonly convKernel?: number;
  /** Feed-forward kind (default `swiglu`). */
  readonly mlp?: MlpKind;
  /** Feed-forward hidden width as a multiple of dim (default 2). */
  readonly mlpExpansion?: number;
  /** LM head = embeddingᵀ (default true). */
  readonly tieEmbeddings?: boolean;
  /** Rotary frequency base (default 10000). */
  readonly ropeBase?: number;
  /**
   * The neural memory of every block (ignored by `swa`); depth 1 is the linear-memory variant.
   * Defaults: 1 head of width dim (each head is a separate loop of small ops, which dominate the cost on WASM), depth 2, expansion 2, SiLU, maxLearningRate 0.1, data-dependent forgetting starting around 0.02. The chunk size is
   * `segment`, gates are per token (a per-chunk gate would let a token see later ones), and
   * `memory.seed` is replaced by the model's seed.
   */
  readonly memory?: MemoryOptions;
  /** Seed of every initial weight (default 0). */
  readonly seed?: number | string;
}

/** {@link TitansModelConfig} with every default filled in (JSON-serialisable). */
export interface ResolvedTitansModelConfig {
  readonly kind: 'titans-model';
  readonly arch: Arch;
  readonly vocabSize: number;
  readonly bosId: number;
  readonly dim: number;
  readonly layers: number;
  readonly heads: number;
  readonly segment: number;
  readonly window: number;
  readonly persistent: number;
  readonly convKernel: number;
  readonly mlp: MlpKind;
  readonly mlpHidden: number;
  readonly tieEmbeddings: boolean;
  readonly ropeBase: number;
  readonly memory: ResolvedMemoryOptions;
  readonly seed: number | string;
}

const KEYS = ['kind', 'arch', 'vocabSize', 'bosId', 'dim', 'layers', 'heads', 'segment', 'window', 'persistent', 'convKernel', 'mlp', 'mlpExpansion', 'mlpHidden', 'tieEmbeddings', 'ropeBase', 'memory', 'seed'];

/**
 * Model-level defaults of the memory that differ from the library-wide ones. The activation is
 * SiLU, not ReLU: the outer loop differentiates through the inner update, whose ReLU derivative
 * (a step) makes the training loss jump where a hidden unit changes sign. Forgetting starts
 * around 0.02 rather than 0.001: trained on short sequences, a memory that barely forgets drifts
 * on long streams into states it never saw in training (held-out bits per byte of an LMM rose
 * from 2.7 to 4.2 over 4k tokens with 0.001; stayed at 2.7–2.8 with 0.02–0.05).
 */
const MEMORY_DEFAULTS: MemoryOptions = { depth: 2, expansion: 2, activation: 'silu', maxLearningRate: 0.1, forget: { dataDependent: true, init: 0.02 } };

/**
 * Validates a {@link TitansModelConfig} and fills in defaults. Idempotent.
 *
 * @example
 * ```ts
 * const config = resolveTitansModelConfig({ arch: 'mac', dim: 128, layers: 4 });
 * ```
 * @param config - The configuration.
 * @returns The resolved configuration.
 * @throws {@link ConfigError} naming the first invalid field.
 */
export function resolveTitansModelConfig(config: TitansModelConfig | ResolvedTitansModelConfig): ResolvedTitansModelConfig {
  if (typeof config !== 'object' || config === null) throw new ConfigError('config', `must be an object, got ${String(config)}`);
  rejectUnknownKeys(config, KEYS);
  const given = config as TitansModelConfig & { kind?: unknown; mlpHidden?: unknown };
  if (given.kind !== undefined && given.kind !== 'titans-model') throw new ConfigError('kind', `must be "titans-model", got ${JSON.stringify(given.kind)}`);
  const arch = oneOf(given.arch, 'arch', ARCHS);
  const vocabSize = integerAtLeast(given.vocabSize ?? 260, 'vocabSize', 2);
  const bosId = integerAtLeast(given.bosId ?? 256, 'bosId', 0);
  if (bosId >= vocabSize) throw new ConfigError('bosId', `must be below vocabSize ${vocabSize}, got ${bosId}`);
  const dim = integerAtLeast(given.dim ?? 64, 'dim', 2);
  const heads = integerAtLeast(given.heads ?? 4, 'heads', 1);
  if (dim % heads !== 0 || (dim / heads) % 2 !== 0) throw new ConfigError('heads', `dim / heads must be an even integer (rotary pairs), got ${dim} / ${heads}`);
  const segment = integerAtLeast(given.segment ?? 32, 'segment', 1);
  const mlpHidden =
    given.mlpHidden !== undefined
      ? integerAtLeast(given.mlpHidden, 'mlpHidden', 1)
      : Math.max(1, Math.round(dim * numberIn(given.mlpExpansion ?? 2, 'mlpExpansion', 0, Infinity, { lo: true })));
  const memoryGiven = given.memory ?? {};
  if (typeof memoryGiven !== 'object' || memoryGiven === null) throw new ConfigError('memory', 'must be an object');
  rejectUnknownKeys(memoryGiven, MEMORY_OPTION_KEYS, 'memory.');
  const seed = seedValue(given.seed ?? 0, 'seed');
  const m = memoryGiven as MemoryOptions;
  if (m.chunkSize !== undefined && m.chunkSize !== segment) throw new ConfigError('memory.chunkSize', `is the model's segment (${segment}); set segment instead`);
  if (m.gateGranularity !== undefined && m.gateGranularity !== 'token') throw new ConfigError('memory.gateGranularity', 'must be "token": per-chunk gates would let a token see later tokens');
  const memory = resolveMemoryOptions({ ...memoryGiven, chunkSize: segment, gateGranularity: 'token', seed }, dim, MEMORY_DEFAULTS);
  return {
    kind: 'titans-model',
    arch,
    vocabSize,
    bosId,
    dim,
    layers: integerAtLeast(given.layers ?? 2, 'layers', 1),
    heads,
    segment,
    window: integerAtLeast(given.window ?? 64, 'window', 1),
    persistent: integerAtLeast(given.persistent ?? 4, 'persistent', 0),
    convKernel: integerAtLeast(given.convKernel ?? 4, 'convKernel', 1),
    mlp: oneOf(given.mlp ?? 'swiglu', 'mlp', MLP_KINDS),
    mlpHidden,
    tieEmbeddings: bool(given.tieEmbeddings ?? true, 'tieEmbeddings'),
    ropeBase: numberIn(given.ropeBase ?? 10_000, 'ropeBase', 1, Infinity, { lo: true }),
    memory,
    seed,
  };
}
