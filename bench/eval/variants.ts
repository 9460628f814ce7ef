import { Trainer, TitansModel, resolveTitansModelConfig, weightShapes } from '../../src/model/index.js';
import type { TitansModelConfig, TrainerOptions } from '../../src/model/index.js';
import type { MemoryOptions } from '../../src/memory/index.js';

/** One model of the comparison: a name and its configuration (before parameter matching). */
export interface Variant {
  readonly name: string;
  /** The configuration; `mlpHidden` (accepted by the model, see `resolveTitansModelConfig`) sets the feed-forward width. */
  readonly config: TitansModelConfig & { readonly mlpHidden?: number };
}

/** Parameters of a configuration, counted from its weight shapes (no tensors made). */
export function parameterCount(config: TitansModelConfig): number {
  let n = 0;
  for (const shape of weightShapes(resolveTitansModelConfig(config)).values()) n += shape.reduce((a, b) => a * b, 1);
  return n;
}

/**
 * Sets the feed-forward width (`mlpHidden`) of `config` so that its parameter count is as close
 * as possible to `target` — how variants without a memory (SWA) or with a smaller one are
 * brought to the same size as the others.
 *
 * @example
 * ```ts
 * const swa = matchParameters({ arch: 'swa', dim: 32 }, parameterCount({ arch: 'mac', dim: 32 }));
 * ```
 * @param config - The configuration.
 * @param target - Wanted parameter count.
 * @returns The configuration with `mlpHidden` set.
 */
export function matchParameters(config: TitansModelConfig, target: number): TitansModelConfig & { mlpHidden: number } {
  const at = (h: number) => parameterCount({ ...config, mlpHidden: h } as TitansModelConfig);
  const base = at(1);
  const perUnit = at(2) - base;
  const h = Math.max(1, Math.round(1 + (target - base) / perUnit));
  return { ...config, mlpHidden: h } as TitansModelConfig & { mlpHidden: number };
}

/**
 * The models compared: the four Titans variants, the sliding-window-attention transformer, Titans
 * (MAC) with a linear memory, and the MAC ablations without momentum and without forgetting. All
 * are brought to the parameter count of MAC.
 *
 * @param base - Shared size settings (dim, layers, heads, segment, window, persistent, seed).
 * @returns The variants, parameter-matched.
 */
export function evaluationVariants(base: Omit<TitansModelConfig, 'arch'>): Variant[] {
  const memory = (extra: MemoryOptions): MemoryOptions => ({ ...(base.memory ?? {}), ...extra });
  const raw: Variant[] = [
    { name: 'mac', config: { ...base, arch: 'mac' } },
    { name: 'mag', config: { ...base, arch: 'mag' } },
    { name: 'mal', config: { ...base, arch: 'mal' } },
    { name: 'lmm', config: { ...base, arch: 'lmm' } },
    { name: 'swa', config: { ...base, arch: 'swa' } },
    { name: 'mac-linear-memory', config: { ...base, arch: 'mac', memory: memory({ depth: 1 }) } },
    { name: 'mac-no-momentum', config: { ...base, arch: 'mac', memory: memory({ momentum: 0 }) } },
    { name: 'mac-no-forgetting', config: { ...base, arch: 'mac', memory: memory({ forget: 0 }) } },
  ];
  const target = parameterCount(raw[0]?.config as TitansModelConfig);
  return raw.map((v) => ({ name: v.name, config: matchParameters(v.config, target) }));
}

/** Result of {@link trainVariant}. */
export interface Trained {
  readonly model: TitansModel;
  readonly parameters: number;
  readonly steps: number;
  readonly tokens: number;
  readonly seconds: number;
  readonly finalLoss: number;
}

/**
 * Trains a fresh model of `config` on `data` for `options.steps` steps.
 *
 * @param config - The model configuration.
 * @param data - Training tokens.
 * @param options - Trainer options.
 * @param onStep - Called after every step (progress).
 * @param weights - Loss weight of each token of `data` (default all 1).
 * @returns The trained model (the caller disposes it) and what the training cost.
 */
export async function trainVariant(config: TitansModelConfig, data: Int32Array, options: TrainerOptions, onStep?: (step: number, loss: number) => void, weights?: Float32Array): Promise<Trained> {
  const model = TitansModel.create(config);
  const trainer = new Trainer(model, data, options, weights);
  const started = performance.now();
  let tokens = 0;
  let finalLoss = Number.NaN;
  try {
    while (trainer.step < options.steps) {
      const r = await trainer.next();
      tokens += r.tokens;
      finalLoss = r.loss;
      onStep?.(r.step, r.loss);
    }
  } catch (error) {
    model.dispose();
    throw error;
  } finally {
    trainer.dispose();
  }
  return { model, parameters: model.parameterCount, steps: options.steps, tokens, seconds: (performance.now() - started) / 1000, finalLoss };
}
