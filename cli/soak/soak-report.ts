/** One point of a soak run's series, taken every `every` tokens. */
export interface SoakSample {
  /** Tokens absorbed by the memories so far. */
  readonly tokens: number;
  /** Seconds since the start of ingestion. */
  readonly seconds: number;
  /** Tokens per second over the interval since the previous sample. */
  readonly tokensPerSec: number;
  /** Records completed so far. */
  readonly records: number;
  /** Resident set size of the process (workers included), bytes. */
  readonly rssBytes: number;
  /** V8 heap in use on the main thread, bytes. */
  readonly heapUsedBytes: number;
  /** Live TensorFlow.js tensors (summed over workers when there are workers). */
  readonly numTensors: number;
  /** Frobenius norm of the memory weights: the largest and the mean over the live keys. */
  readonly weightNorm: { readonly max: number; readonly mean: number };
  /** Chunk latency over the interval (time a chunk spent in the memory layer), milliseconds. */
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number; readonly chunks: number };
}

/** What a soak run concludes from its series (after the warm-up). */
export interface SoakSummary {
  readonly tokens: number;
  readonly seconds: number;
  /** Overall tokens per second. */
  readonly tokensPerSec: number;
  /** Tokens treated as warm-up; drifts are measured from the last sample inside it. */
  readonly warmupTokens: number;
  readonly rss: { readonly warmupBytes: number; readonly endBytes: number; readonly maxBytes: number; readonly driftBytes: number; readonly slopeBytesPerMTokens: number | null };
  readonly numTensors: { readonly warmup: number; readonly end: number; readonly min: number; readonly max: number; readonly drift: number };
  /** Interval throughput after warm-up: mean, least-squares slope, and that slope over the run as a share of the mean. */
  readonly throughput: { readonly mean: number; readonly slopePerMTokens: number | null; readonly trendPercent: number | null };
  /** Largest weight norm (over keys) after warm-up: at warm-up, at the end, the maxima of the first and second half. */
  readonly weightNorm: { readonly warmup: number; readonly end: number; readonly max: number; readonly firstHalfMax: number; readonly secondHalfMax: number; readonly growthPercent: number };
  /** Median of the interval p50s and largest interval p99. */
  readonly latencyMs: { readonly p50: number; readonly p99: number };
  /** The verdicts, each against the bound given in `bounds`. */
  readonly checks: { readonly rssFlat: boolean; readonly tensorsFlat: boolean; readonly throughputSteady: boolean; readonly normsBounded: boolean };
  readonly bounds: typeof SOAK_BOUNDS;
}

/** Bounds of the soak verdicts. */
export const SOAK_BOUNDS = {
  /** Share of the run (by tokens) treated as warm-up. */
  warmupFraction: 0.1,
  /** RSS may grow by at most this after warm-up: the larger of a fixed amount and a share of the warm-up RSS. */
  rssDriftBytes: 64 * 1024 * 1024,
  rssDriftFraction: 0.1,
  /** Throughput may fall by at most this share of its mean over the run (the machines are shared and noisy). */
  throughputTrendPercent: -15,
  /** The second half's largest weight norm may exceed the first half's by at most this share. */
  normGrowthPercent: 10,
} as const;

/** Least-squares slope of y over x, or null with fewer than two distinct x. */
export function linearSlope(xs: readonly number[], ys: readonly number[]): number | null {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return null;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += xs[i] as number;
    my += ys[i] as number;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    sxy += dx * ((ys[i] as number) - my);
    sxx += dx * dx;
  }
  return sxx === 0 ? null : sxy / sxx;
}

function largest(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  return finite.length === 0 ? NaN : Math.max(...finite);
}

function median(values: readonly number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * Summarises a soak series: the warm-up is the first {@link SOAK_BOUNDS.warmupFraction} of the
 * tokens (at least the first sample); every drift is measured from its last sample.
 *
 * @param samples - The series, in order (at least one sample).
 * @param seconds - Duration of the whole run.
 * @returns The summary with its verdicts.
 * @throws {RangeError} for an empty series.
 */
export function summarizeSoak(samples: readonly SoakSample[], seconds: number): SoakSummary {
  const last = samples[samples.length - 1];
  if (last === undefined) throw new RangeError('a soak summary needs at least one sample');
  const warmupTokens = Math.floor(last.tokens * SOAK_BOUNDS.warmupFraction);
  let base = 0;
  while (base + 1 < samples.length && (samples[base + 1] as SoakSample).tokens <= warmupTokens) base++;
  const after = samples.slice(base);
  const warm = after[0] as SoakSample;
  const mTokens = after.map((s) => s.tokens / 1e6);

  const rssMax = Math.max(...after.map((s) => s.rssBytes));
  const rssDrift = last.rssBytes - warm.rssBytes;
  const tensors = after.map((s) => s.numTensors);
  const rates = after.slice(1).map((s) => s.tokensPerSec);
  const rateMean = rates.length === 0 ? last.tokensPerSec : rates.reduce((a, b) => a + b, 0) / rates.length;
  const rateSlope = linearSlope(mTokens.slice(1), rates);
  const runMTokens = (last.tokens - warm.tokens) / 1e6;
  const trendPercent = rateSlope === null || rateMean === 0 ? null : (100 * rateSlope * runMTokens) / rateMean;
  const norms = after.map((s) => s.weightNorm.max);
  const half = Math.ceil(norms.length / 2);
  const firstHalfMax = Math.max(...norms.slice(0, half));
  const secondHalfMax = Math.max(...norms.slice(half), -Infinity);
  const growthPercent = Number.isFinite(secondHalfMax) && firstHalfMax > 0 ? (100 * (secondHalfMax - firstHalfMax)) / firstHalfMax : 0;

  return {
    tokens: last.tokens,
    seconds,
    tokensPerSec: last.tokens / seconds,
    warmupTokens: warm.tokens,
    rss: { warmupBytes: warm.rssBytes, endBytes: last.rssBytes, maxBytes: rssMax, driftBytes: rssDrift, slopeBytesPerMTokens: linearSlope(mTokens, after.map((s) => s.rssBytes)) },
    numTensors: { warmup: warm.numTensors, end: last.numTensors, min: Math.min(...tensors), max: Math.max(...tensors), drift: last.numTensors - warm.numTensors },
    throughput: { mean: rateMean, slopePerMTokens: rateSlope, trendPercent },
    weightNorm: { warmup: warm.weightNorm.max, end: last.weightNorm.max, max: Math.max(...norms), firstHalfMax, secondHalfMax: Number.isFinite(secondHalfMax) ? secondHalfMax : firstHalfMax, growthPercent },
    latencyMs: { p50: median(samples.map((s) => s.latencyMs.p50)), p99: largest(samples.map((s) => s.latencyMs.p99)) },
    checks: {
      rssFlat: rssDrift <= Math.max(SOAK_BOUNDS.rssDriftBytes, SOAK_BOUNDS.rssDriftFraction * warm.rssBytes),
      tensorsFlat: Math.min(...tensors) === Math.max(...tensors),
      throughputSteady: trendPercent === null || trendPercent >= SOAK_BOUNDS.throughputTrendPercent,
      normsBounded: growthPercent <= SOAK_BOUNDS.normGrowthPercent,
    },
    bounds: SOAK_BOUNDS,
  };
}

/** The JSON a soak run writes: its settings, the series and the summary. */
export interface SoakReport {
  readonly format: 'titans-stream.soak';
  readonly version: 1;
  readonly startedAt: string;
  readonly backend: string;
  readonly settings: {
    /** `generated` or `kafka:<topic>` (absent in reports of versions without it: generated). */
    readonly source?: string;
    /** Records and tokens produced to the topic first (`--produce`). */
    readonly produced?: { readonly records: number; readonly tokens: number };
    readonly tokens: number;
    readonly keys: number;
    readonly every: number;
    readonly workers: number;
    readonly seed: number;
    readonly memory: Readonly<Record<string, unknown>>;
  };
  readonly samples: readonly SoakSample[];
  readonly summary: SoakSummary;
}

const MB = 1024 * 1024;

function signed(x: number, digits = 1): string {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

/**
 * The closing lines of a soak run, for people: totals, then one line per verdict.
 *
 * @param s - The summary.
 * @returns Lines without trailing newline.
 */
export function formatSoakSummary(s: SoakSummary): string[] {
  const ok = (pass: boolean): string => (pass ? 'ok  ' : 'FAIL');
  const trend = s.throughput.trendPercent === null ? 'n/a' : `${signed(s.throughput.trendPercent)}% over the run`;
  return [
    `soak: ${s.tokens} tokens in ${s.seconds.toFixed(1)}s, ${s.tokensPerSec.toFixed(0)} tokens/s; warm-up ${s.warmupTokens} tokens; chunk latency p50 ${s.latencyMs.p50.toFixed(2)} ms, p99 ${s.latencyMs.p99.toFixed(2)} ms`,
    `  ${ok(s.checks.rssFlat)} RSS ${(s.rss.warmupBytes / MB).toFixed(0)} -> ${(s.rss.endBytes / MB).toFixed(0)} MB after warm-up (${signed(s.rss.driftBytes / MB)} MB, max ${(s.rss.maxBytes / MB).toFixed(0)} MB)`,
    `  ${ok(s.checks.tensorsFlat)} numTensors ${s.numTensors.warmup} -> ${s.numTensors.end} (range ${s.numTensors.min}..${s.numTensors.max})`,
    `  ${ok(s.checks.throughputSteady)} throughput ${s.throughput.mean.toFixed(0)} tokens/s mean after warm-up, trend ${trend}`,
    `  ${ok(s.checks.normsBounded)} weight norm ${s.weightNorm.warmup.toFixed(3)} -> ${s.weightNorm.end.toFixed(3)} (max ${s.weightNorm.max.toFixed(3)}; second half vs first ${signed(s.weightNorm.growthPercent)}%)`,
  ];
}
