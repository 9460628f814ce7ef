import type { SoakReport, SoakSample } from './soak-report.js';

/** One line of a panel. */
interface Series {
  readonly label: string;
  readonly color: string;
  readonly value: (s: SoakSample) => number;
}

/** One panel of the chart: a metric over tokens. */
interface Panel {
  readonly title: string;
  readonly unit: string;
  readonly series: readonly Series[];
  /** Whether this panel's verdict passed (undefined: no verdict). */
  readonly pass?: boolean;
}

const WIDTH = 960;
const LEFT = 84;
const RIGHT = 24;
const HEADER = 78;
const PANEL = 130;
const GAP = 44;
const MB = 1024 * 1024;

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A round number ≥ x (1, 2, 2.5 or 5 times a power of ten). */
function niceCeil(x: number): number {
  if (!(x > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(x));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * power >= x * (1 - 1e-9)) return m * power;
  return 10 * power;
}

function formatTick(x: number): string {
  if (x === 0) return '0';
  if (Math.abs(x) >= 1e6) return `${+(x / 1e6).toFixed(2)}M`;
  if (Math.abs(x) >= 1e4) return `${+(x / 1e3).toFixed(1)}k`;
  if (Math.abs(x) >= 10) return `${+x.toFixed(0)}`;
  return `${+x.toPrecision(3)}`;
}

function panelsOf(report: SoakReport): Panel[] {
  const { checks } = report.summary;
  return [
    { title: 'Throughput', unit: 'tokens/s', pass: checks.throughputSteady, series: [{ label: 'tokens/s', color: '#1f77b4', value: (s) => s.tokensPerSec }] },
    {
      title: 'Memory',
      unit: 'MB',
      pass: checks.rssFlat,
      series: [
        { label: 'RSS', color: '#d62728', value: (s) => s.rssBytes / MB },
        { label: 'JS heap (main)', color: '#ff9896', value: (s) => s.heapUsedBytes / MB },
      ],
    },
    { title: 'Live tensors', unit: 'tf.memory().numTensors', pass: checks.tensorsFlat, series: [{ label: 'numTensors', color: '#2ca02c', value: (s) => s.numTensors }] },
    {
      title: 'Memory weight norm',
      unit: 'Frobenius norm',
      pass: checks.normsBounded,
      series: [
        { label: 'max over keys', color: '#9467bd', value: (s) => s.weightNorm.max },
        { label: 'mean over keys', color: '#c5b0d5', value: (s) => s.weightNorm.mean },
      ],
    },
    {
      title: 'Chunk latency',
      unit: 'ms',
      series: [
        { label: 'p99', color: '#ff7f0e', value: (s) => s.latencyMs.p99 },
        { label: 'p50', color: '#8c564b', value: (s) => s.latencyMs.p50 },
      ],
    },
  ];
}

/**
 * Draws a soak run as an SVG image: one panel per metric over the tokens absorbed (throughput,
 * memory, live tensors, weight norm, chunk latency), the warm-up shaded, each panel marked with
 * its verdict. Plain SVG, no dependency; opens in any browser.
 *
 * @example
 * ```ts
 * await writeFile('soak.svg', soakChartSvg(report));
 * ```
 * @param report - A soak report with at least one sample.
 * @returns The SVG document.
 */
export function soakChartSvg(report: SoakReport): string {
  const { samples, summary } = report;
  const panels = panelsOf(report);
  const height = HEADER + panels.length * (PANEL + GAP) + 16;
  const plotWidth = WIDTH - LEFT - RIGHT;
  const maxTokens = niceCeil(Math.max(1, ...samples.map((s) => s.tokens)));
  const x = (tokens: number): number => LEFT + (plotWidth * tokens) / maxTokens;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${LEFT}" y="24" font-size="16" font-weight="bold">${escapeXml(`titans-stream soak: ${formatTick(summary.tokens)} tokens, ${report.settings.keys} key(s), ${report.settings.workers === 0 ? 'main thread' : `${report.settings.workers} worker(s)`}, ${report.backend}`)}</text>`,
    `<text x="${LEFT}" y="44">${escapeXml(`${summary.tokensPerSec.toFixed(0)} tokens/s overall in ${summary.seconds.toFixed(0)} s; RSS drift ${(summary.rss.driftBytes / MB).toFixed(1)} MB, numTensors drift ${summary.numTensors.drift}, throughput trend ${summary.throughput.trendPercent === null ? 'n/a' : `${summary.throughput.trendPercent.toFixed(1)}%`}, weight norm growth ${summary.weightNorm.growthPercent.toFixed(1)}%`)}</text>`,
    `<text x="${LEFT}" y="62" fill="#555">${escapeXml(`started ${report.startedAt}; one point every ${report.settings.every} tokens; shaded: warm-up (first ${formatTick(summary.warmupTokens)} tokens)`)}</text>`,
  ];
  panels.forEach((panel, i) => {
    const top = HEADER + i * (PANEL + GAP) + 22;
    const bottom = top + PANEL;
    const values = panel.series.flatMap((s) => samples.map(s.value)).filter((v) => Number.isFinite(v));
    const yMax = niceCeil(Math.max(0, ...values) * 1.05);
    const y = (v: number): number => bottom - (PANEL * Math.max(0, v)) / yMax;
    const verdict = panel.pass === undefined ? '' : panel.pass ? '  ✓' : '  ✗';
    out.push(`<text x="${LEFT}" y="${top - 8}" font-weight="bold">${escapeXml(`${panel.title} (${panel.unit})${verdict}`)}</text>`);
    out.push(`<rect x="${LEFT}" y="${top}" width="${(x(summary.warmupTokens) - LEFT).toFixed(1)}" height="${PANEL}" fill="#eeeeee"/>`);
    for (const f of [0, 0.5, 1]) {
      const yy = (bottom - PANEL * f).toFixed(1);
      out.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${yy}" y2="${yy}" stroke="#dddddd"/>`);
      out.push(`<text x="${LEFT - 6}" y="${yy}" text-anchor="end" dominant-baseline="middle">${formatTick(yMax * f)}</text>`);
    }
    for (let t = 0; t <= 5; t++) {
      const xx = x((maxTokens * t) / 5).toFixed(1);
      out.push(`<line x1="${xx}" x2="${xx}" y1="${bottom}" y2="${bottom + 4}" stroke="#555555"/>`);
      out.push(`<text x="${xx}" y="${bottom + 16}" text-anchor="middle">${formatTick((maxTokens * t) / 5)}</text>`);
    }
    out.push(`<rect x="${LEFT}" y="${top}" width="${plotWidth}" height="${PANEL}" fill="none" stroke="#555555"/>`);
    panel.series.forEach((series, j) => {
      const points = samples
        .filter((s) => Number.isFinite(series.value(s)))
        .map((s) => `${x(s.tokens).toFixed(1)},${y(series.value(s)).toFixed(1)}`)
        .join(' ');
      out.push(`<polyline points="${points}" fill="none" stroke="${series.color}" stroke-width="1.5"/>`);
      const lx = WIDTH - RIGHT - 200 * (panel.series.length - j);
      const lastValue = samples.length === 0 ? NaN : series.value(samples[samples.length - 1] as SoakSample);
      out.push(`<line x1="${lx}" x2="${lx + 18}" y1="${top - 12}" y2="${top - 12}" stroke="${series.color}" stroke-width="3"/>`);
      out.push(`<text x="${lx + 24}" y="${top - 8}">${escapeXml(`${series.label}: ${formatTick(lastValue)} at end`)}</text>`);
    });
  });
  out.push(`<text x="${LEFT + plotWidth / 2}" y="${height - 6}" text-anchor="middle" fill="#555">tokens absorbed</text>`);
  out.push('</svg>');
  return out.join('\n') + '\n';
}
