import { configFingerprint } from '../memory/index.js';
import { InputError } from '../errors/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import { resolveTitansModelConfig } from './model-config.js';
import type { ResolvedTitansModelConfig, TitansModelConfig } from './model-config.js';
import { disposeInferenceConstants, inferenceConstants, weightSources } from './inference-constants.js';
import type { InferenceConstants } from './inference-constants.js';
import { initModelWeights, weightShapes } from './model-weights.js';
import type { ModelWeights } from './model-weights.js';
import { TitansStream } from './titans-stream.js';

/** Makes variable names unique: tfjs refuses to register two variables of the same name. */
let variableCounter = 0;

/**
 * A Titans language model (MAC, MAG, MAL, LMM) or the sliding-window baseline: configuration and
 * trainable weights (`tf.Variable`s). It has no stream state of its own: {@link stream} opens a
 * stream (one per key), and {@link forwardSegment} runs batches of streams for training.
 *
 * @example
 * ```ts
 * const model = TitansModel.create({ arch: 'mac', dim: 64, layers: 2 });
 * const stream = model.stream();
 * const { nll } = await stream.process(new ByteTokenizer().encode('hello'));
 * stream.dispose();
 * model.dispose();
 * ```
 */
export class TitansModel {
  /** The resolved configuration. */
  readonly config: ResolvedTitansModelConfig;
  /** `configFingerprint` of {@link config}. */
  readonly fingerprint: string;
  /** The parameters by name. */
  readonly weights: Readonly<Record<string, tf.Variable>>;
  private disposed = false;
  /** Built with the model (so that opening streams allocates no model-wide tensors), rebuilt when a weight changes. */
  /** Built on first use by a stream (a model that is only trained never needs them). */
  private constants: InferenceConstants | undefined;

  private constructor(config: ResolvedTitansModelConfig, values: Record<string, Tensor>) {
    this.config = config;
    this.fingerprint = configFingerprint(config);
    const weights: Record<string, tf.Variable> = {};
    for (const [name, t] of Object.entries(values)) weights[name] = tf.variable(t, true, `titans/${this.fingerprint}/${name}/${variableCounter++}`);
    this.weights = weights;
  }

  /**
   * A model with seeded initial weights.
   *
   * @example
   * ```ts
   * const model = TitansModel.create({ arch: 'lmm', memory: { depth: 1 } }); // linear memory
   * ```
   * @param config - The configuration.
   * @returns A new model.
   * @throws {@link ConfigError} naming the first invalid field.
   */
  static create(config: TitansModelConfig | ResolvedTitansModelConfig): TitansModel {
    const resolved = resolveTitansModelConfig(config);
    const values = initModelWeights(resolved);
    try {
      return new TitansModel(resolved, values);
    } finally {
      tf.dispose(Object.values(values));
    }
  }

  /**
   * A model with given weights, checked against the configuration's names and shapes.
   *
   * @example
   * ```ts
   * const model = TitansModel.fromWeights(config, { embed: tf.zeros([260, 64]), ... });
   * ```
   * @param config - The configuration.
   * @param values - A tensor or a float32 array per parameter name (copied; the caller keeps them).
   * @returns A new model.
   * @throws {@link InputError} `ERR_MODEL_WEIGHTS` naming a missing, unknown or misshapen weight.
   */
  static fromWeights(config: TitansModelConfig | ResolvedTitansModelConfig, values: Readonly<Record<string, Tensor | { shape: readonly number[]; data: Float32Array }>>): TitansModel {
    const resolved = resolveTitansModelConfig(config);
    const shapes = weightShapes(resolved);
    for (const name of Object.keys(values)) {
      if (!shapes.has(name)) throw new InputError('ERR_MODEL_WEIGHTS', `unknown weight "${name}" for a ${resolved.arch} model`);
    }
    const tensors: Record<string, Tensor> = {};
    try {
      for (const [name, shape] of shapes) {
        const v = values[name];
        if (!v) throw new InputError('ERR_MODEL_WEIGHTS', `weight "${name}" is missing`);
        const got = v.shape;
        if (got.length !== shape.length || got.some((s, i) => s !== shape[i])) {
          throw new InputError('ERR_MODEL_WEIGHTS', `weight "${name}" has shape [${got.join(', ')}], the configuration needs [${shape.join(', ')}]`);
        }
        tensors[name] = v instanceof tf.Tensor ? tf.cast(v, 'float32') : tf.tensor(v.data, shape, 'float32');
      }
      return new TitansModel(resolved, tensors);
    } finally {
      tf.dispose(Object.values(tensors));
    }
  }

  /** The parameters as plain tensors by name (the model's own; do not dispose). */
  get tensors(): ModelWeights {
    return this.weights;
  }

  /** Number of scalar parameters. */
  get parameterCount(): number {
    return Object.values(this.weights).reduce((n, v) => n + v.size, 0);
  }

  /**
   * Opens a stream: a fresh state (memories at their learned initial weights, empty attention
   * caches) that processes tokens in calls of any length.
   *
   * @example
   * ```ts
   * const s = model.stream();
   * ```
   * @returns A new stream; dispose it when done.
   * @throws {@link InputError} `ERR_DISPOSED` after {@link dispose}.
   */
  stream(): TitansStream {
    this.check();
    return new TitansStream(this);
  }

  /**
   * The {@link InferenceConstants} of the current weights, built on first use and rebuilt first if
   * a weight has been assigned since they were built. Streams use them; they belong to the model.
   *
   * @example
   * ```ts
   * const { head } = model.inferenceConstants();
   * ```
   * @returns The constants (do not dispose).
   * @throws {@link InputError} `ERR_DISPOSED` after {@link dispose}.
   */
  inferenceConstants(): InferenceConstants {
    this.check();
    const built = this.constants;
    const sources = weightSources(this.weights);
    if (built !== undefined && sources.every((id, i) => id === built.sources[i])) return built;
    if (built !== undefined) disposeInferenceConstants(built);
    this.constants = inferenceConstants(this.config, this.weights);
    return this.constants;
  }

  /** @throws {@link InputError} `ERR_DISPOSED` after {@link dispose}. */
  check(): void {
    if (this.disposed) throw new InputError('ERR_DISPOSED', 'this TitansModel has been disposed');
  }

  /**
   * Frees the weights. Streams of this model must not be used afterwards. Idempotent.
   *
   * @example
   * ```ts
   * model.dispose();
   * ```
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    tf.dispose(Object.values(this.weights));
    if (this.constants !== undefined) disposeInferenceConstants(this.constants);
    this.constants = undefined;
  }
}
