import { InputError } from '../errors/index.js';
import type { StateArray } from '../memory/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';

/** Hyper-parameters of {@link AdamW}. */
export interface AdamWOptions {
  /** First-moment decay (default 0.9). */
  readonly beta1?: number;
  /** Second-moment decay (default 0.95). */
  readonly beta2?: number;
  /** Added to √v (default 1e-8). */
  readonly epsilon?: number;
  /** Decoupled weight decay, applied to matrices only (rank ≥ 2), not to gains, biases or vectors (default 0.1). */
  readonly weightDecay?: number;
}

/** The optimizer's state as named arrays (`m.{name}`, `v.{name}`) and the step count. */
export interface AdamWState {
  readonly step: number;
  readonly arrays: readonly StateArray[];
}

/**
 * AdamW (Loshchilov & Hutter): Adam moments with bias correction and decoupled weight decay,
 * updating `tf.Variable`s in place:
 * `p ← p − lr·(m̂ / (√v̂ + ε) + λ·p)` (λ only for rank ≥ 2).
 *
 * @example
 * ```ts
 * const opt = new AdamW(model.weights, { weightDecay: 0.1 });
 * opt.apply(grads, 3e-3);
 * ```
 */
export class AdamW {
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;
  private readonly m: Record<string, tf.Variable> = {};
  private readonly v: Record<string, tf.Variable> = {};
  private t = 0;

  /**
   * @param params - The variables to optimise, by name.
   * @param options - Hyper-parameters.
   */
  constructor(
    private readonly params: Readonly<Record<string, tf.Variable>>,
    options: AdamWOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.95;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    for (const [name, p] of Object.entries(params)) {
      // A variable keeps its own reference to the data: the initial tensor is freed here.
      const zeros = tf.zerosLike(p);
      this.m[name] = tf.variable(zeros, false);
      this.v[name] = tf.variable(zeros, false);
      zeros.dispose();
    }
  }

  /** Updates applied so far. */
  get step(): number {
    return this.t;
  }

  /**
   * One update with the given gradients (not disposed) and learning rate.
   *
   * @example
   * ```ts
   * opt.apply(grads, learningRate(schedule, opt.step));
   * ```
   * @param grads - Gradient per parameter name; every parameter must have one.
   * @param lr - Learning rate of this step.
   * @throws {@link InputError} `ERR_OPTIMIZER` when a gradient is missing or misshapen.
   */
  apply(grads: Readonly<Record<string, Tensor>>, lr: number): void {
    for (const [name, p] of Object.entries(this.params)) {
      const g = grads[name];
      if (!g || g.shape.length !== p.shape.length || g.shape.some((s, i) => s !== p.shape[i])) {
        throw new InputError('ERR_OPTIMIZER', `gradient of "${name}" is missing or not of shape [${p.shape.join(', ')}]`);
      }
    }
    this.t += 1;
    const c1 = 1 - Math.pow(this.beta1, this.t);
    const c2 = 1 - Math.pow(this.beta2, this.t);
    tf.tidy(() => {
      for (const [name, p] of Object.entries(this.params)) {
        const g = grads[name] as Tensor;
        const m = this.m[name] as tf.Variable;
        const v = this.v[name] as tf.Variable;
        const m1 = tf.add(tf.mul(m, this.beta1), tf.mul(g, 1 - this.beta1));
        const v1 = tf.add(tf.mul(v, this.beta2), tf.mul(tf.square(g), 1 - this.beta2));
        m.assign(m1);
        v.assign(v1);
        let update = tf.div(tf.div(m1, c1), tf.add(tf.sqrt(tf.div(v1, c2)), this.epsilon));
        if (p.rank >= 2 && this.weightDecay > 0) update = tf.add(update, tf.mul(p, this.weightDecay));
        p.assign(tf.sub(p, tf.mul(update, lr)));
      }
    });
  }

  /**
   * Copies of the moments and the step count.
   *
   * @example
   * ```ts
   * const state = await opt.exportState();
   * ```
   * @returns The state.
   */
  async exportState(): Promise<AdamWState> {
    const arrays: StateArray[] = [];
    for (const [kind, moments] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of Object.entries(moments)) arrays.push({ name: `${kind}.${name}`, shape: [...t.shape], dtype: 'float32', data: (await t.data()) as Float32Array });
    }
    return { step: this.t, arrays };
  }

  /**
   * Replaces the moments and step count with an exported state.
   *
   * @example
   * ```ts
   * opt.importState(saved);
   * ```
   * @param state - From {@link exportState} of an optimizer over the same parameters.
   * @throws {@link InputError} `ERR_OPTIMIZER` naming a missing or misshapen moment.
   */
  importState(state: AdamWState): void {
    if (!Number.isSafeInteger(state.step) || state.step < 0) throw new InputError('ERR_OPTIMIZER', `invalid optimizer step ${String(state.step)}`);
    const byName = new Map(state.arrays.map((a) => [a.name, a]));
    const values: [tf.Variable, StateArray][] = [];
    for (const [kind, moments] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, t] of Object.entries(moments)) {
        const a = byName.get(`${kind}.${name}`);
        if (!a || a.dtype !== 'float32' || a.data.length !== t.size || a.shape.length !== t.rank || a.shape.some((s, i) => s !== t.shape[i])) {
          throw new InputError('ERR_OPTIMIZER', `optimizer state "${kind}.${name}" is missing or not float32 [${t.shape.join(', ')}]`);
        }
        values.push([t, a]);
      }
    }
    tf.tidy(() => values.forEach(([t, a]) => t.assign(tf.tensor(a.data, t.shape, 'float32'))));
    this.t = state.step;
  }

  /** Frees the moments (not the parameters). */
  dispose(): void {
    tf.dispose([...Object.values(this.m), ...Object.values(this.v)]);
  }
}
