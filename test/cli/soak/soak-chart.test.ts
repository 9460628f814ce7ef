import { describe, expect, it } from 'vitest';
import { soakChartSvg } from '../../../cli/soak/soak-chart.js';
import { summarizeSoak, type SoakReport, type SoakSample } from '../../../cli/soak/soak-report.js';

function report(samples: SoakSample[]): SoakReport {
  return {
    format: 'titans-stream.soak',
    version: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    backend: 'wasm',
    settings: { tokens: 1_000_000, keys: 1, every: 100_000, workers: 0, seed: 0, memory: {} },
    samples,
    summary: summarizeSoak(samples, 60),
  };
}

const samples: SoakSample[] = Array.from({ length: 10 }, (_, i) => ({
  tokens: (i + 1) * 100_000,
  seconds: i + 1,
  tokensPerSec: 20_000 + i,
  records: i,
  rssBytes: 2 ** 28,
  heapUsedBytes: 2 ** 26,
  numTensors: 11,
  weightNorm: { max: 3 + i / 100, mean: 2 },
  latencyMs: { p50: 1, p99: i === 3 ? NaN : 4, max: 5, chunks: 10 },
}));

describe('soakChartSvg', () => {
  it('draws one line per series with one point per sample, inside the image', () => {
    const svg = soakChartSvg(report(samples));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    const width = Number(/width="(\d+)"/.exec(svg)?.[1]);
    const height = Number(/height="(\d+)"/.exec(svg)?.[1]);
    const lines = [...svg.matchAll(/<polyline points="([^"]*)"/g)].map((m) => (m[1] ?? '').split(' ').map((p) => p.split(',').map(Number)));
    expect(lines).toHaveLength(8);
    // The p99 line skips the sample without a value.
    expect(lines.map((l) => l.length).sort()).toEqual([10, 10, 10, 10, 10, 10, 10, 9].sort());
    for (const [x, y] of lines.flat()) {
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(width);
      expect(y).toBeGreaterThan(0);
      expect(y).toBeLessThan(height);
    }
    // Later samples lie further right.
    const first = lines[0] ?? [];
    for (let i = 1; i < first.length; i++) expect(first[i]?.[0]).toBeGreaterThan(first[i - 1]?.[0] ?? Infinity);
  });

  it('escapes text', () => {
    const svg = soakChartSvg({ ...report(samples), backend: '<wasm & co>' });
    expect(svg).toContain('&lt;wasm &amp; co&gt;');
    expect(svg).not.toContain('<wasm');
  });
});
