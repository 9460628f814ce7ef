import type { HeadWeights } from '../memory/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor, Tensor2D } from '../tensor/index.js';
import type { ResolvedTitansModelConfig } from './model-config.js';
import type { ModelWeights } from './model-weights.js';
import { hasAttention, hasMemory, modelMemoryNet, savedMemoryShape, savedTransposed } from './model-weights.js';

/** What one block carries from segment to segment. */
export interface LayerState {
  /** The neural memory of every sequence and head, index `b·heads + h` (absent without memory). */
  readonly memory: readonly HeadWeights[] | undefined;
  /** The memory inputs of the last convKernel − 1 tokens of every sequence, `[batch·(convKernel − 1) × d]` (absent without memory or convolution). */
  readonly conv: Tensor2D | undefined;
  /** Rotated keys of the last `cached` tokens of every sequence, `[batch·cached × d]` (absent when none). */
  readonly keys: Tensor2D | undefined;
  /** Their values, same layout. */
  readonly values: Tensor2D | undefined;
}

/** The recurrent state of a model over `batch` parallel streams at a segment boundary. */
export interface ModelState {
  /** Parallel streams. */
  readonly batch: number;
  /** Stream position of the next token (tokens of all completed segments). */
  readonly position: number;
  /** Tokens in the attention caches (≤ window − 1; 0 for MAC, LMM). */
  readonly cached: number;
  /** Per block. */
  readonly layers: readonly LayerState[];
}

/**
 * The state at the start of `batch` streams: every memory at the learned initial weights (a
 * differentiable copy, so gradients reach them) with zero momentum, empty attention caches.
 *
 * @example
 * ```ts
 * const state = initialState(config, weights, 4);
 * ```
 * @param config - Resolved configuration.
 * @param weights - The parameters.
 * @param batch - Parallel streams.
 * @returns A new state (dispose with {@link disposeState}).
 */
export function initialState(config: ResolvedTitansModelConfig, weights: ModelWeights, batch: number): ModelState {
  const net = modelMemoryNet(config);
  const layers: LayerState[] = [];
  for (let i = 0; i < config.layers; i++) {
    let memory: HeadWeights[] | undefined;
    if (hasMemory(config)) {
      memory = [];
      for (let b = 0; b < batch; b++) {
        for (let h = 0; h < config.memory.heads; h++) {
          const w = Array.from({ length: net.depth }, (_, l) => {
            const saved = weights[`layers.${i}.mem.init.h${h}.l${l}`] as Tensor2D;
            return savedTransposed(net, l) ? tf.transpose(saved) : tf.clone(saved);
          });
          memory.push({ w, s: w.map((t) => tf.zerosLike(t)) });
        }
      }
    }
    const conv = hasConv(config) ? (tf.zeros([batch * (config.convKernel - 1), config.dim]) as Tensor2D) : undefined;
    layers.push({ memory, conv, keys: undefined, values: undefined });
  }
  return { batch, position: 0, cached: 0, layers };
}

/**
 * Every tensor of a state, in a fixed order (memory weights and momentum, then caches, per block).
 *
 * @example
 * ```ts
 * tf.keep(stateTensors(state));
 * ```
 * @param state - A state.
 * @returns Its tensors.
 */
export function stateTensors(state: ModelState): Tensor[] {
  const out: Tensor[] = [];
  for (const layer of state.layers) {
    for (const head of layer.memory ?? []) out.push(...head.w, ...head.s);
    if (layer.conv) out.push(layer.conv);
    if (layer.keys) out.push(layer.keys);
    if (layer.values) out.push(layer.values);
  }
  return out;
}

/**
 * Frees every tensor of a state.
 *
 * @example
 * ```ts
 * disposeState(state);
 * ```
 * @param state - The state.
 */
export function disposeState(state: ModelState): void {
  tf.dispose(stateTensors(state));
}

/** Whether blocks of this configuration keep a convolution context across segments. */
export function hasConv(config: ResolvedTitansModelConfig): boolean {
  return hasMemory(config) && config.convKernel > 1;
}

/** Whether blocks of this configuration keep an attention cache across segments. */
export function keepsCache(config: ResolvedTitansModelConfig): boolean {
  return hasAttention(config) && config.arch !== 'mac' && config.window > 1;
}

/** Name and shape of one tensor of a single-stream state, in {@link stateTensors} order. */
export interface StateSlot {
  /** `l{i}.h{h}.w{l}` / `l{i}.h{h}.s{l}` (memory weight / momentum), `l{i}.conv`, `l{i}.keys`, `l{i}.values`. */
  readonly name: string;
  /** Shape as saved. */
  readonly shape: [number, number];
  /** Saved as the transpose of the state's tensor (memory slots, {@link savedMemoryShape}). */
  readonly transposed: boolean;
}

/**
 * The tensors of a single-stream state with `cached` tokens in the attention caches, by name and
 * shape, in {@link stateTensors} order.
 *
 * @example
 * ```ts
 * stateLayout(config, 0).map((s) => s.name); // ['l0.h0.w0', 'l0.h0.w1', 'l0.h0.s0', …]
 * ```
 * @param config - Resolved configuration.
 * @param cached - Tokens in the caches.
 * @returns The slots.
 */
export function stateLayout(config: ResolvedTitansModelConfig, cached: number): StateSlot[] {
  const net = modelMemoryNet(config);
  const slots: StateSlot[] = [];
  for (let i = 0; i < config.layers; i++) {
    if (hasMemory(config)) {
      for (let h = 0; h < config.memory.heads; h++) {
        for (const kind of ['w', 's']) {
          for (let l = 0; l < net.depth; l++) slots.push({ name: `l${i}.h${h}.${kind}${l}`, shape: savedMemoryShape(net, l), transposed: savedTransposed(net, l) });
        }
      }
    }
    if (hasConv(config)) slots.push({ name: `l${i}.conv`, shape: [config.convKernel - 1, config.dim], transposed: false });
    if (keepsCache(config) && cached > 0) {
      slots.push({ name: `l${i}.keys`, shape: [cached, config.dim], transposed: false });
      slots.push({ name: `l${i}.values`, shape: [cached, config.dim], transposed: false });
    }
  }
  return slots;
}

/**
 * A single-stream state from its tensors in {@link stateLayout} order (they become the state's).
 *
 * @example
 * ```ts
 * const state = buildState(config, 64, 31, tensors);
 * ```
 * @param config - Resolved configuration.
 * @param position - Stream position of the next token.
 * @param cached - Tokens in the caches.
 * @param tensors - The tensors.
 * @returns The state.
 */
export function buildState(config: ResolvedTitansModelConfig, position: number, cached: number, tensors: readonly Tensor[]): ModelState {
  const depth = modelMemoryNet(config).depth;
  const withCache = keepsCache(config) && cached > 0;
  let i = 0;
  const take = () => tensors[i++] as Tensor2D;
  const layers: LayerState[] = [];
  for (let layer = 0; layer < config.layers; layer++) {
    const memory = hasMemory(config)
      ? Array.from({ length: config.memory.heads }, () => {
          const w = Array.from({ length: depth }, take);
          const s = Array.from({ length: depth }, take);
          return { w, s };
        })
      : undefined;
    const conv = hasConv(config) ? take() : undefined;
    const keys = withCache ? take() : undefined;
    const values = withCache ? take() : undefined;
    layers.push({ memory, conv, keys, values });
  }
  return { batch: 1, position, cached: keepsCache(config) ? cached : 0, layers };
}
