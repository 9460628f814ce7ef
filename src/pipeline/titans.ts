import { ConfigError } from '../errors/config-error.js';
import type { TitansModel } from '../model/titans-model.js';
import { titansStreamConfig } from '../model/titans-stream-config.js';
import type { AsyncOperator } from '../stream/types.js';
import { checkKeyedLayerOptions, keyedLayer, type KeyedLayerOptions } from './keyed-layer.js';
import type { MemoryEvent } from './memory-events.js';
import type { TokenChunk } from './token-chunk.js';
import { TitansMemory } from './titans-memory.js';

/** Options of {@link titans}: those of every keyed layer (`predictions` = top-k next tokens). */
export type TitansOptions = KeyedLayerOptions;

/**
 * A trained Titans model (MAC, MAG, MAL, LMM, SWA) as a keyed stream layer: token chunks in, the
 * same events as {@link neuralMemory} out. Each key has its own stream through the shared model
 * (memory weights and momentum per block, attention window, pending segment), made on first sight
 * or restored from `store`; per chunk it emits every token's negative log-likelihood in nats
 * (as both `loss` and `surprise`), optional top-k next-token predictions, and the records the
 * chunk completed scored whole. Input a restored stream already covers is skipped, so a replay
 * is absorbed exactly once; eviction beyond `maxLiveMemories` snapshots a key's stream to `store`.
 *
 * Snapshots hold the per-key stream state only; the model is named by its configuration and a
 * fingerprint of its weights, and restoring into another model fails with `ERR_SNAPSHOT_CONFIG`.
 * The model must not be trained while the layer runs (the fingerprint is taken when it is made).
 * Chunks of `model.config.segment` tokens (or a multiple) avoid recomputing partial segments.
 *
 * @example
 * ```ts
 * const { model } = await loadCheckpoint(store);
 * const events = pipe(records, tokenize(new ByteTokenizer()), chunkTokens(model.config.segment), titans(model, { predictions: 3 }));
 * for await (const e of events) if (e.type === 'chunk') for (const r of e.records) console.log(r.meanLoss / Math.LN2, 'bits/byte');
 * ```
 * @param model - The model, shared by every key (the layer never disposes it).
 * @param options - top-k, eviction, snapshots, store, signal.
 * @returns an operator from token chunks to {@link MemoryEvent}s.
 * @throws {ConfigError} at once for bad options or a `predictions` above the vocabulary. While
 *   running, a failure (e.g. a token outside the model's vocabulary) is a {@link LayerError}
 *   naming the key and position; a snapshot that does not fit is a {@link SnapshotError}.
 */
export function titans(model: TitansModel, options: TitansOptions = {}): AsyncOperator<TokenChunk, MemoryEvent> {
  checkKeyedLayerOptions(options);
  const predictions = options.predictions ?? 0;
  const { vocabSize } = model.config;
  if (predictions > vocabSize) throw new ConfigError('predictions', `must be at most the model's vocabulary size ${vocabSize}, got ${predictions}`);
  const config = titansStreamConfig(model);
  return keyedLayer('titans', () => new TitansMemory(model, config), { loss: true, surprise: true, predictions }, options);
}
