import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/errors/index.js';
import { SimpleMetricsRegistry } from '../../../src/metrics/index.js';

/** The sample lines of an exposition as name{labels} → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), line.slice(at + 1) === '+Inf' ? Infinity : Number(line.slice(at + 1)));
  }
  return out;
}

describe('SimpleMetricsRegistry', () => {
  it('renders counters and gauges with HELP and TYPE, collecting gauges at scrape time', async () => {
    const registry = new SimpleMetricsRegistry();
    const tokens = registry.counter('titans_tokens_total', 'Tokens\nabsorbed \\ total');
    let live = 3;
    registry.gauge('titans_live', 'Live', () => live);
    const set = registry.gauge('titans_set', 'Set by hand');
    tokens.inc(64);
    tokens.inc();
    set.set(-2.5);
    const text = await registry.metrics();
    expect(text).toContain('# HELP titans_tokens_total Tokens\\nabsorbed \\\\ total\n# TYPE titans_tokens_total counter\ntitans_tokens_total 65\n');
    expect(text).toContain('# TYPE titans_live gauge\ntitans_live 3\n');
    expect(samples(text).get('titans_set')).toBe(-2.5);
    live = 7;
    expect(samples(await registry.metrics()).get('titans_live')).toBe(7);
    expect(() => tokens.inc(-1)).toThrow(RangeError);
  });

  it('renders cumulative histogram buckets with sum and count', async () => {
    const registry = new SimpleMetricsRegistry();
    const h = registry.histogram('lat_seconds', 'Latency', [0.01, 0.1, 1]);
    for (const v of [0.005, 0.01, 0.05, 0.5, 2]) h.observe(v);
    const s = samples(await registry.metrics());
    expect(s.get('lat_seconds_bucket{le="0.01"}')).toBe(2);
    expect(s.get('lat_seconds_bucket{le="0.1"}')).toBe(3);
    expect(s.get('lat_seconds_bucket{le="1"}')).toBe(4);
    expect(s.get('lat_seconds_bucket{le="+Inf"}')).toBe(5);
    expect(s.get('lat_seconds_count')).toBe(5);
    expect(s.get('lat_seconds_sum')).toBeCloseTo(2.565, 12);
  });

  it('reports summary quantiles over the most recent observations only', async () => {
    const registry = new SimpleMetricsRegistry({ summaryWindow: 100 });
    const s = registry.summary('surprise', 'Surprise', [0.5, 0.99]);
    for (let i = 1; i <= 100; i++) s.observe(1000 + i); // pushed out of the window below
    for (let i = 1; i <= 100; i++) s.observe(i);
    const out = samples(await registry.metrics());
    expect(out.get('surprise{quantile="0.5"}')).toBe(50);
    expect(out.get('surprise{quantile="0.99"}')).toBe(99);
    expect(out.get('surprise_count')).toBe(200);
    expect(out.get('surprise_sum')).toBe(100 * 1000 + 5050 + 5050);
  });

  it('rejects bad names, duplicates, buckets and quantiles', () => {
    const registry = new SimpleMetricsRegistry();
    registry.counter('a_total', 'A');
    expect(() => registry.counter('a_total', 'again')).toThrow(ConfigError);
    expect(() => registry.gauge('bad-name', 'B')).toThrow(/not a valid Prometheus metric name/);
    expect(() => registry.histogram('h', 'H', [1, 1])).toThrow(/strictly increasing/);
    expect(() => registry.summary('s', 'S', [1.5])).toThrow(/quantiles/);
    expect(() => new SimpleMetricsRegistry({ summaryWindow: 0 })).toThrow(ConfigError);
  });
});
