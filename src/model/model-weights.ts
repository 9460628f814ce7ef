import { initGateParams, memoryNetOf, storedShape, storedTransposed } from '../memory/index.js';
import type { MemoryNet, ResolvedMemoryOptions } from '../memory/index.js';
import { SeededRandom } from '../random/index.js';
import { tf } from '../tensor/index.js';
import type { Tensor } from '../tensor/index.js';
import type { ResolvedTitansModelConfig } from './model-config.js';

/**
 * Whether checkpoints and stream snapshots (format version 1) keep memory layer `l` transposed
 * against the runtime orientation ({@link storedShape}): they keep layer 0 as `[in × out]` and
 * later layers as `[out × in]`, the orientation of the runtime when the format was fixed.
 *
 * @example
 * ```ts
 * savedTransposed(net, 1); // true
 * ```
 * @param net - The head network.
 * @param l - Layer index.
 * @returns `true` when the saved array is the transpose of the runtime tensor.
 */
export function savedTransposed(net: MemoryNet, l: number): boolean {
  return storedTransposed(net, l) === (l === 0);
}

/**
 * Shape in which checkpoints and stream snapshots keep memory layer `l`'s weight or momentum
 * (see {@link savedTransposed}).
 *
 * @example
 * ```ts
 * savedMemoryShape(net, 0); // [headDim, hidden] for depth 2
 * ```
 * @param net - The head network.
 * @param l - Layer index.
 * @returns `[rows, cols]`.
 */
export function savedMemoryShape(net: MemoryNet, l: number): [number, number] {
  const [rows, cols] = storedShape(net, l);
  return savedTransposed(net, l) ? [cols, rows] : [rows, cols];
}

/** The model's parameters by name (see {@link weightShapes} for the names). */
export type ModelWeights = Readonly<Record<string, Tensor>>;

/** Memory-projection names of the data-dependent gates, in the column-block order of their projection. */
const GATE_ORDER = ['lr', 'momentum', 'forget'] as const;

/** Names of the data-dependent memory gates of a configuration (empty when all are fixed). */
export function dataGates(o: ResolvedMemoryOptions): ('lr' | 'momentum' | 'forget')[] {
  const setting = { lr: o.learningRate, momentum: o.momentum, forget: o.forget };
  return GATE_ORDER.filter((g) => setting[g].kind === 'data');
}

/** The memory head network of a model configuration. */
export function modelMemoryNet(config: ResolvedTitansModelConfig): MemoryNet {
  return memoryNetOf(config.memory);
}

/** Whether blocks of this variant have a neural memory. */
export function hasMemory(config: ResolvedTitansModelConfig): boolean {
  return config.arch !== 'swa';
}

/** Whether blocks of this variant have an attention. */
export function hasAttention(config: ResolvedTitansModelConfig): boolean {
  return config.arch !== 'lmm';
}

/** Names of the RMSNorm gains of one block, in order of use. */
export function blockNorms(config: ResolvedTitansModelConfig): string[] {
  return config.arch === 'mal' ? ['norm1', 'norm2', 'norm3'] : ['norm1', 'norm2'];
}

type Init = { readonly kind: 'normal'; readonly std: number } | { readonly kind: 'uniform'; readonly limit: number } | { readonly kind: 'ones' } | { readonly kind: 'zeros' } | { readonly kind: 'gates' };

interface Spec {
  readonly name: string;
  readonly shape: number[];
  readonly init: Init;
}

function specs(config: ResolvedTitansModelConfig): Spec[] {
  const { dim: d, vocabSize: v, layers, persistent, mlpHidden } = config;
  const m = config.memory;
  const memWidth = m.heads * m.headDim;
  const net = modelMemoryNet(config);
  const outStd = 0.02 / Math.sqrt(2 * layers);
  const list: Spec[] = [{ name: 'embed', shape: [v, d], init: { kind: 'normal', std: 0.02 } }];
  for (let i = 0; i < layers; i++) {
    const p = `layers.${i}.`;
    for (const norm of blockNorms(config)) list.push({ name: p + norm, shape: [d], init: { kind: 'ones' } });
    if (hasAttention(config)) {
      list.push({ name: p + 'attn.qkv', shape: [d, 3 * d], init: { kind: 'normal', std: 0.02 } });
      list.push({ name: p + 'attn.out', shape: [d, d], init: { kind: 'normal', std: outStd } });
      if (persistent > 0) list.push({ name: p + 'attn.persistent', shape: [persistent, d], init: { kind: 'normal', std: 1 } });
    }
    if (hasMemory(config)) {
      list.push({ name: p + 'mem.kvq', shape: [d, 3 * memWidth], init: { kind: 'normal', std: 1 / Math.sqrt(d) } });
      list.push({ name: p + 'mem.out', shape: [memWidth, d], init: { kind: 'normal', std: outStd } });
      const k = config.convKernel;
      if (k > 1) list.push({ name: p + 'mem.conv', shape: [k, 3 * memWidth], init: { kind: 'uniform', limit: 1 / Math.sqrt(k) } });
      const gates = dataGates(m).length * m.heads;
      if (gates > 0) {
        list.push({ name: p + 'mem.gates.weight', shape: [d, gates], init: { kind: 'gates' } });
        list.push({ name: p + 'mem.gates.bias', shape: [gates], init: { kind: 'gates' } });
      }
      for (let h = 0; h < m.heads; h++) {
        for (let l = 0; l < net.depth; l++) {
          const [rows, cols] = savedMemoryShape(net, l);
          list.push({ name: `${p}mem.init.h${h}.l${l}`, shape: [rows, cols], init: { kind: 'normal', std: Math.sqrt(2 / (rows + cols)) } });
        }
      }
    }
    if (config.arch === 'mag') {
      list.push({ name: p + 'gate.weight', shape: [d, d], init: { kind: 'normal', std: 0.02 } });
      list.push({ name: p + 'gate.bias', shape: [d], init: { kind: 'zeros' } });
    }
    list.push({ name: p + 'mlp.up', shape: [d, config.mlp === 'swiglu' ? 2 * mlpHidden : mlpHidden], init: { kind: 'normal', std: 0.02 } });
    list.push({ name: p + 'mlp.down', shape: [mlpHidden, d], init: { kind: 'normal', std: outStd } });
  }
  list.push({ name: 'norm.out', shape: [d], init: { kind: 'ones' } });
  if (!config.tieEmbeddings) list.push({ name: 'head', shape: [d, v], init: { kind: 'normal', std: 0.02 } });
  return list;
}

/**
 * Name and shape of every parameter of a configuration, in a fixed order: `embed` `[vocab × d]`;
 * per block i `layers.{i}.norm1…` gains, `attn.qkv` `[d × 3d]`, `attn.out`, `attn.persistent`
 * `[persistent × d]`, `mem.kvq` `[d × 3·H·h]`, `mem.out`, `mem.conv` `[convKernel × 3·H·h]` (oldest tap first), `mem.gates.weight` / `.bias`,
 * `mem.init.h{h}.l{l}` (the learned initial memory, {@link savedMemoryShape}), `gate.weight` / `.bias`
 * (MAG), `mlp.up`, `mlp.down`; then `norm.out` and, untied, `head` `[d × vocab]`.
 *
 * @example
 * ```ts
 * weightShapes(resolveTitansModelConfig({ arch: 'lmm' })).get('embed'); // [260, 64]
 * ```
 * @param config - Resolved configuration.
 * @returns Shapes by name, in parameter order.
 */
export function weightShapes(config: ResolvedTitansModelConfig): Map<string, number[]> {
  return new Map(specs(config).map((s) => [s.name, s.shape]));
}

/**
 * Seeded initial parameters (GPT-2-style N(0, 0.02) matrices, output projections scaled by
 * 1/√(2·layers), unit norm gains, Xavier initial memories, gate biases at the logits of the
 * configured initial gate values). Same configuration → same values.
 *
 * @example
 * ```ts
 * const weights = initModelWeights(config);
 * ```
 * @param config - Resolved configuration.
 * @returns New tensors by name (the caller owns them).
 */
export function initModelWeights(config: ResolvedTitansModelConfig): Record<string, Tensor> {
  const rng = new SeededRandom(config.seed);
  const out: Record<string, Tensor> = {};
  for (const spec of specs(config)) {
    const r = rng.fork();
    const size = spec.shape.reduce((a, b) => a * b, 1);
    switch (spec.init.kind) {
      case 'normal':
        out[spec.name] = tf.tensor(r.fillNormal(new Float32Array(size), 0, spec.init.std), spec.shape);
        break;
      case 'uniform': {
        const limit = spec.init.limit;
        out[spec.name] = tf.tensor(Float32Array.from({ length: size }, () => (2 * r.next() - 1) * limit), spec.shape);
        break;
      }
      case 'ones':
        out[spec.name] = tf.ones(spec.shape);
        break;
      case 'zeros':
        out[spec.name] = tf.zeros(spec.shape);
        break;
      case 'gates': {
        if (!spec.name.endsWith('.weight')) break;
        const gates = initGateParams(config.memory, config.dim, r);
        if (!gates) break;
        out[spec.name] = gates.weight;
        out[spec.name.replace(/weight$/, 'bias')] = gates.bias;
        break;
      }
    }
  }
  return out;
}
