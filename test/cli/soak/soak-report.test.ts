import { describe, expect, it } from 'vitest';
import { formatSoakSummary, linearSlope, summarizeSoak, type SoakSample } from '../../../cli/soak/soak-report.js';

const MB = 1024 * 1024;

/** A synthetic series of `n` samples every 100k tokens; `f` shapes sample i (0-based). */
function series(n: number, f: (i: number) => Partial<SoakSample> = () => ({})): SoakSample[] {
  return Array.from({ length: n }, (_, i) => ({
    tokens: (i + 1) * 100_000,
    seconds: (i + 1) * 5,
    tokensPerSec: 20_000,
    records: (i + 1) * 900,
    rssBytes: 300 * MB,
    heapUsedBytes: 80 * MB,
    numTensors: 11,
    weightNorm: { max: 3, mean: 3 },
    latencyMs: { p50: 2, p99: 5, max: 9, chunks: 1500 },
    ...f(i),
  }));
}

describe('linearSlope', () => {
  it('is the least-squares slope, null without two distinct x', () => {
    expect(linearSlope([0, 1, 2, 3], [1, 3, 5, 7])).toBeCloseTo(2, 12);
    expect(linearSlope([0, 1, 2], [5, 5, 5])).toBe(0);
    expect(linearSlope([1], [1])).toBeNull();
    expect(linearSlope([2, 2], [1, 3])).toBeNull();
  });
});

describe('summarizeSoak', () => {
  it('passes every check on a flat run and measures from the end of the warm-up', () => {
    // Warm-up noise in the first 10% of the tokens does not count.
    const s = summarizeSoak(series(100, (i) => (i < 9 ? { rssBytes: (100 + 20 * i) * MB, numTensors: i, weightNorm: { max: i, mean: i } } : {})), 500);
    expect(s.warmupTokens).toBe(1_000_000);
    expect(s.tokens).toBe(10_000_000);
    expect(s.tokensPerSec).toBe(20_000);
    expect(s.rss.driftBytes).toBe(0);
    expect(s.numTensors).toMatchObject({ warmup: 11, end: 11, drift: 0 });
    expect(s.throughput.trendPercent).toBeCloseTo(0, 9);
    expect(s.checks).toEqual({ rssFlat: true, tensorsFlat: true, throughputSteady: true, normsBounded: true });
    expect(s.latencyMs).toEqual({ p50: 2, p99: 5 });
  });

  it('fails the check of each metric that drifts', () => {
    const s = summarizeSoak(
      series(100, (i) => ({
        rssBytes: (300 + 2 * i) * MB,
        numTensors: 11 + Math.floor(i / 50),
        tokensPerSec: 20_000 - 100 * i,
        weightNorm: { max: 1 + i / 10, mean: 1 },
      })),
      500,
    );
    expect(s.rss.driftBytes).toBe(2 * 90 * MB);
    expect(s.rss.slopeBytesPerMTokens).toBeCloseTo(20 * MB, 0);
    expect(s.numTensors.drift).toBe(1);
    expect(s.throughput.slopePerMTokens).toBeCloseTo(-1000, 6);
    expect(s.throughput.trendPercent).toBeLessThan(-15);
    expect(s.weightNorm.growthPercent).toBeGreaterThan(10);
    expect(s.checks).toEqual({ rssFlat: false, tensorsFlat: false, throughputSteady: false, normsBounded: false });
    const lines = formatSoakSummary(s);
    expect(lines.filter((l) => l.startsWith('  FAIL'))).toHaveLength(4);
  });

  it('handles a single sample', () => {
    const s = summarizeSoak(series(1), 5);
    expect(s.throughput.trendPercent).toBeNull();
    expect(s.checks.tensorsFlat).toBe(true);
    expect(() => summarizeSoak([], 1)).toThrow(RangeError);
  });
});
