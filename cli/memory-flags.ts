import type { TokenMemoryConfig } from '../src/memory/index.js';
import { BYTE_VOCAB_SIZE } from '../src/tokenize/index.js';
import { intOption, numberOption } from './options.js';

/** The `parseArgs` options that shape the untrained byte-level memory (`run`, `soak`). */
export const MEMORY_OPTIONS = {
  dim: { type: 'string' },
  depth: { type: 'string' },
  'chunk-size': { type: 'string' },
  lr: { type: 'string' },
  'memory-seed': { type: 'string' },
} as const;

/** The values of {@link MEMORY_OPTIONS} as parsed. */
export interface MemoryFlagValues {
  readonly dim?: string | undefined;
  readonly depth?: string | undefined;
  readonly 'chunk-size'?: string | undefined;
  readonly lr?: string | undefined;
  readonly 'memory-seed'?: string | undefined;
}

/**
 * The byte-level memory configuration of the memory flags (defaults: dim 64, depth 2, chunk 64,
 * θ 0.05, seed 0).
 *
 * @param values - the parsed flags.
 * @returns the configuration (not yet resolved: `resolveTokenMemoryConfig` checks it).
 * @throws {UsageError} for a flag out of range.
 */
export function memoryConfigOf(values: MemoryFlagValues): TokenMemoryConfig {
  return {
    vocabSize: BYTE_VOCAB_SIZE,
    dim: intOption('dim', values.dim, 64, 1, 4096),
    depth: intOption('depth', values.depth, 2, 1, 8),
    chunkSize: intOption('chunk-size', values['chunk-size'], 64, 1, 65_536),
    learningRate: numberOption('lr', values.lr, 0.05, 0, 10),
    seed: intOption('memory-seed', values['memory-seed'], 0, 0),
  };
}
