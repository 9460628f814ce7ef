/**
 * Benchmark of the neural memory: tokens/s, achieved matmul GFLOP/s and the ratio to a plain 2-D
 * matmul of the memory's main shape ([chunk × headDim]·[headDim × hidden]) measured in the same
 * run. One JSON object per line per configuration.
 *
 * Run: `npx tsx bench/memory.ts` (TITANS_BACKEND picks the backend; default auto).
 * FLOPs counted: every matmul the memory runs (projections, keys forward and backward, gradient
 * sums, [2×2] mixing, retrieval), 2 per multiply-add; elementwise work is not counted.
 */
import { NeuralMemory, layerDims, memoryNetOf } from '../src/memory/index.js';
import type { NeuralMemoryConfig, ResolvedNeuralMemoryConfig } from '../src/memory/index.js';
import { initBackend, tf } from '../src/tensor/index.js';

const CONFIGS: (NeuralMemoryConfig & { name: string })[] = [
  { name: 'd64-h1-depth2-exp2-c16', dim: 64, heads: 1, depth: 2, expansion: 2, chunkSize: 16 },
  { name: 'd256-h4x64-depth2-exp4-c64', dim: 256, heads: 4, headDim: 64, depth: 2, expansion: 4, chunkSize: 64 },
  { name: 'd256-h4x64-depth1-exp4-c64', dim: 256, heads: 4, headDim: 64, depth: 1, expansion: 4, chunkSize: 64 },
  { name: 'd256-h4x64-depth3-exp4-c64', dim: 256, heads: 4, headDim: 64, depth: 3, expansion: 4, chunkSize: 64 },
];

/** Matmul FLOPs per token of a configuration. */
function flopsPerToken(c: ResolvedNeuralMemoryConfig): number {
  const width = c.heads * c.headDim;
  const dataGates = [c.learningRate, c.momentum, c.forget].filter((g) => g.kind === 'data').length;
  const perToken = 2 * c.dim * 3 * width + 2 * width * c.dim + 2 * c.dim * dataGates * c.heads;
  const dims = layerDims(memoryNetOf(c));
  const C = c.chunkSize;
  let perChunkHead = 0;
  dims.forEach(([i, o], l) => {
    perChunkHead += 2 * C * i * o; // keys forward
    perChunkHead += 2 * C * i * o; // retrieval forward
    if (l > 0) perChunkHead += 2 * C * i * o; // backward δ·Wᵀ
    perChunkHead += 2 * (2 * (l === 0 ? i : o)) * C * (l === 0 ? o : i); // weighted gradient sums [2r × C]·[C × c]
    perChunkHead += 2 * 2 * 2 * i * o; // [2×2]·[2 × r·c] mixing
  });
  return perToken + (perChunkHead * c.heads) / C;
}

async function bestOf<T>(rounds: number, run: () => Promise<T> | T): Promise<number> {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await run();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

/** GFLOP/s of a plain 2-D matmul [m × k]·[k × n], best of several windows. */
async function matmulGflops(m: number, k: number, n: number): Promise<number> {
  const a = tf.randomNormal([m, k]) as tf.Tensor2D;
  const b = tf.randomNormal([k, n]) as tf.Tensor2D;
  const reps = Math.max(20, Math.round(3e8 / (2 * m * k * n)));
  try {
    for (let i = 0; i < 5; i++) tf.matMul(a, b).dispose();
    const ms = await bestOf(5, async () => {
      let last: tf.Tensor | undefined;
      for (let i = 0; i < reps; i++) {
        last?.dispose();
        last = tf.matMul(a, b);
      }
      await last?.data();
      last?.dispose();
    });
    return (2 * m * k * n * reps) / (ms * 1e6);
  } finally {
    tf.dispose([a, b]);
  }
}

async function main(): Promise<void> {
  const backend = await initBackend();
  const tokensPerCall = 1024;
  for (const { name, ...config } of CONFIGS) {
    const memory = NeuralMemory.create(config);
    const c = memory.config;
    const x = tf.randomNormal([tokensPerCall, c.dim], 0, 1, 'float32', 1) as tf.Tensor2D;
    try {
      const calls = Math.max(2, Math.round(16384 / tokensPerCall / (c.dim / 64)));
      await memory.process(x); // warm-up
      const ceilingBefore = await matmulGflops(c.chunkSize, c.headDim, c.headDim * c.expansion);
      const ms = await bestOf(3, async () => {
        for (let i = 0; i < calls; i++) await memory.process(x);
      });
      const ceilingAfter = await matmulGflops(c.chunkSize, c.headDim, c.headDim * c.expansion);
      const tokensPerSec = (calls * tokensPerCall) / (ms / 1000);
      const gflops = (tokensPerSec * flopsPerToken(c)) / 1e9;
      const ceiling = Math.max(ceilingBefore, ceilingAfter);
      console.log(
        JSON.stringify({
          config: { name, ...config },
          backend: backend.name,
          tokensPerSec: Math.round(tokensPerSec),
          gflops: +gflops.toFixed(2),
          matmulGflops: +ceiling.toFixed(2),
          matmulShape: [c.chunkSize, c.headDim, c.headDim * c.expansion],
          ratio: +(gflops / ceiling).toFixed(3),
          flopsPerToken: Math.round(flopsPerToken(c)),
        }),
      );
    } finally {
      x.dispose();
      memory.dispose();
    }
  }
}

await main();
