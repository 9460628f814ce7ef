import type { ResolvedTitansModelConfig } from './model-config.js';
import type { TitansModel } from './titans-model.js';
import { weightsFingerprint } from './weights-fingerprint.js';

/**
 * What a snapshot of one Titans model stream must match to be restored: the model's resolved
 * configuration and the fingerprint of its weights (the weights themselves are shared by every
 * stream and are not part of a stream's state).
 */
export interface TitansStreamConfig {
  readonly kind: 'titans-stream';
  /** The model's resolved configuration. */
  readonly model: ResolvedTitansModelConfig;
  /** {@link weightsFingerprint} of the model. */
  readonly weights: string;
}

/**
 * The {@link TitansStreamConfig} of a model as its weights are now.
 *
 * @example
 * ```ts
 * const snapshot = await store.load(key, { config: titansStreamConfig(model) });
 * ```
 * @param model - The model.
 * @returns Its stream configuration.
 * @throws {@link InputError} `ERR_DISPOSED` for a disposed model.
 */
export function titansStreamConfig(model: TitansModel): TitansStreamConfig {
  return { kind: 'titans-stream', model: model.config, weights: weightsFingerprint(model) };
}
