/**
 * Benchmark of the worker pool: what the threads buy and what the boundary costs, measured in the
 * same run (interleaved rounds), one JSON object per line.
 *
 * - `speedup`: several keys, a pool of 2 workers against a pool of 1 (target ≥ 1.7× on 2 cores).
 * - `overhead`: one key, a pool of 1 worker against `neuralMemory` in the main thread (target ≤ 10 %).
 *
 * Throughput counts the tokens after the first quarter of the chunks, so the workers' start-up
 * (reported apart) and their JIT/WASM warm-up are left out. The input is tokenized and chunked once up
 * front, so only the memory layer is measured. These machines are shared: the load average is
 * printed with the results, and `workerCpuOverheadPercent` compares CPU time (all threads) per
 * token, which the load of other processes does not change.
 *
 * Run: `npx tsx bench/scale.ts [--tokens 200000] [--keys 8] [--rounds 3]` (TITANS_BACKEND picks
 * the backend; default wasm).
 */
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { ProgressLine } from '../cli/progress.js';
import { chunkTokens, neuralMemory, tokenize, type MemoryEvent, type TokenChunk } from '../src/pipeline/index.js';
import { sampleLogRecords } from '../src/sample/index.js';
import { fromIterable, pipe, take, toArray, type AsyncOperator } from '../src/stream/index.js';
import { initBackend } from '../src/tensor/index.js';
import { BYTE_RECORD_SEPARATOR, ByteTokenizer } from '../src/tokenize/index.js';
import { neuralMemoryPool } from '../src/workers/index.js';

const { values } = parseArgs({ options: { tokens: { type: 'string', default: '200000' }, keys: { type: 'string', default: '8' }, rounds: { type: 'string', default: '3' } } });
const tokens = Number(values.tokens);
const keyCount = Number(values.keys);
const rounds = Number(values.rounds);
/** Share of the chunks left out of the figures: the workers' start-up and their JIT/WASM warm-up. */
const WARMUP_FRACTION = 0.25;
const memory = { dim: 64, depth: 2, chunkSize: 64, learningRate: 0.05, forget: 0.001 };

/** About `tokens` tokens of the sample logs as chunks, spread round robin over `keys` keys. */
async function input(keys: number): Promise<TokenChunk[]> {
  const records = sampleLogRecords({ count: Infinity, seed: 1 });
  const key = (r: { position: { kind: string; index?: number } }): string => `k${(r.position.index ?? 0) % keys}`;
  return toArray(pipe(records, tokenize(new ByteTokenizer(), { separator: BYTE_RECORD_SEPARATOR, key }), chunkTokens(memory.chunkSize), take(Math.ceil(tokens / memory.chunkSize))));
}

interface Measurement {
  readonly tokensPerSec: number;
  /** Tokens per second of CPU time of the whole process (every thread): what the work costs, whatever the machine's load. */
  readonly tokensPerCpuSec: number;
  /** CPU time over wall time: how many cores the process actually got (the ceiling of any speed-up). */
  readonly coresUsed: number;
  readonly firstEventMs: number;
}

async function measure(layer: AsyncOperator<TokenChunk, MemoryEvent>, chunks: TokenChunk[]): Promise<Measurement> {
  const started = performance.now();
  let first = NaN;
  let firstEventMs = NaN;
  let cpu = process.cpuUsage();
  let seen = 0;
  let counted = 0;
  const warmup = Math.ceil(chunks.length * WARMUP_FRACTION);
  for await (const event of layer(fromIterable(chunks))) {
    if (event.type !== 'chunk') continue;
    seen += 1;
    if (seen === 1) firstEventMs = performance.now() - started;
    if (seen === warmup) {
      first = performance.now();
      cpu = process.cpuUsage();
    } else if (seen > warmup) counted += event.loss.length;
  }
  const end = performance.now();
  const used = process.cpuUsage(cpu);
  const cpuMicros = used.user + used.system;
  return { tokensPerSec: (counted * 1000) / (end - first), tokensPerCpuSec: (counted * 1e6) / cpuMicros, coresUsed: cpuMicros / 1000 / (end - first), firstEventMs };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

const backend = await initBackend({ backend: (process.env['TITANS_BACKEND'] as 'wasm' | undefined) ?? 'wasm' });
const manyKeys = await input(keyCount);
const oneKey = await input(1);
const cases = {
  'pool-2-workers/many-keys': () => measure(neuralMemoryPool({ memory, workers: 2 }), manyKeys),
  'pool-1-worker/many-keys': () => measure(neuralMemoryPool({ memory, workers: 1 }), manyKeys),
  'pool-1-worker/one-key': () => measure(neuralMemoryPool({ memory, workers: 1 }), oneKey),
  'main-thread/one-key': () => measure(neuralMemory({ memory }), oneKey),
};
const results: Record<string, number[]> = {};
const cpuResults: Record<string, number[]> = {};
const coreResults: Record<string, number[]> = {};
const loads: number[] = [];
const progress = new ProgressLine(process.stderr);
const total = rounds * Object.keys(cases).length;
let done = 0;
for (let round = 0; round < rounds; round++) {
  for (const [name, run] of Object.entries(cases)) {
    progress.update(`bench:scale ${done + 1}/${total}: ${name}, round ${round + 1}/${rounds}`, true);
    const m = await run();
    done += 1;
    progress.done();
    loads.push(loadavg()[0] as number);
    (results[name] ??= []).push(m.tokensPerSec);
    (cpuResults[name] ??= []).push(m.tokensPerCpuSec);
    (coreResults[name] ??= []).push(m.coresUsed);
    process.stdout.write(JSON.stringify({ case: name, round, tokensPerSec: Math.round(m.tokensPerSec), tokensPerCpuSec: Math.round(m.tokensPerCpuSec), coresUsed: +m.coresUsed.toFixed(2), startupMs: Math.round(m.firstEventMs), loadavg1m: loadavg()[0] }) + '\n');
  }
}
const med = (name: string): number => median(results[name] ?? []);
const best = (name: string): number => Math.max(...(results[name] ?? []));
const speedup = med('pool-2-workers/many-keys') / med('pool-1-worker/many-keys');
const overhead = med('main-thread/one-key') / med('pool-1-worker/one-key') - 1;
const medCpu = (name: string): number => median(cpuResults[name] ?? []);
const cpuOverhead = medCpu('main-thread/one-key') / medCpu('pool-1-worker/one-key') - 1;
process.stdout.write(
  JSON.stringify({
    summary: 'scale',
    backend: backend.name,
    cores: availableParallelism(),
    tokens,
    keys: keyCount,
    rounds,
    memory,
    medianTokensPerSec: Object.fromEntries(Object.keys(cases).map((name) => [name, Math.round(med(name))])),
    speedup2over1: +speedup.toFixed(3),
    // Best of the rounds: the closest to an unloaded machine.
    bestTokensPerSec: Object.fromEntries(Object.keys(cases).map((name) => [name, Math.round(best(name))])),
    bestSpeedup2over1: +(best('pool-2-workers/many-keys') / best('pool-1-worker/many-keys')).toFixed(3),
    bestWorkerOverheadPercent: +(100 * (best('main-thread/one-key') / best('pool-1-worker/one-key') - 1)).toFixed(1),
    speedupTarget: 1.7,
    speedupMet: speedup >= 1.7,
    workerOverheadPercent: +(100 * overhead).toFixed(1),
    overheadTargetPercent: 10,
    overheadMet: overhead <= 0.1,
    medianTokensPerCpuSec: Object.fromEntries(Object.keys(cases).map((name) => [name, Math.round(medCpu(name))])),
    workerCpuOverheadPercent: +(100 * cpuOverhead).toFixed(1),
    // CPU per token of 2 workers against 1: the speed-up 2 free cores would give is 2 ÷ this.
    cpuPerToken2over1: +(medCpu('pool-1-worker/many-keys') / medCpu('pool-2-workers/many-keys')).toFixed(3),
    medianCoresUsed: Object.fromEntries(Object.keys(cases).map((name) => [name, +median(coreResults[name] ?? []).toFixed(2)])),
    loadavg1mDuringRun: { min: Math.min(...loads), max: Math.max(...loads) },
  }) + '\n',
);
