import { describe, expect, it } from 'vitest';
import { PromMetricsRegistry, serveMetrics } from '../../../connectors/metrics/index.js';
import { ConfigError } from '../../../src/errors/index.js';

describe('serveMetrics', () => {
  it('serves the exposition on GET /metrics, 404 elsewhere, 405 for other methods, and closes', async () => {
    const metrics = new PromMetricsRegistry();
    const tokens = metrics.counter('titans_tokens_total', 'Tokens');
    const server = await serveMetrics(metrics.registry, { port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      tokens.inc(5);
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(metrics.registry.contentType);
      expect(await response.text()).toContain('titans_tokens_total 5\n');
      tokens.inc(2);
      expect(await (await fetch(server.url)).text()).toContain('titans_tokens_total 7\n');
      expect((await fetch(server.url.replace('/metrics', '/other'))).status).toBe(404);
      expect((await fetch(server.url, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
    await expect(fetch(server.url)).rejects.toThrow();
  });

  it('answers 500 when collecting fails, and reports a taken port', async () => {
    const metrics = new PromMetricsRegistry();
    metrics.gauge('broken', 'Broken', () => Promise.reject(new Error('probe down')));
    const server = await serveMetrics(metrics.registry, { port: 0 });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(500);
      expect(await response.text()).toMatch(/probe down/);
      const port = Number(new URL(server.url).port);
      await expect(serveMetrics(metrics.registry, { port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await server.close();
    }
  });
});

describe('PromMetricsRegistry', () => {
  function value(text: string, name: string): number {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    return Number(line?.slice(name.length + 1));
  }

  it('renders counters, collected gauges, histograms and summary quantiles through prom-client', async () => {
    const metrics = new PromMetricsRegistry({ defaultMetrics: true });
    metrics.counter('c_total', 'A counter').inc(3);
    let probe = 1;
    metrics.gauge('g', 'A gauge', () => probe);
    const histogram = metrics.histogram('h_seconds', 'A histogram', [0.1, 1]);
    const summary = metrics.summary('s', 'A summary', [0.5, 0.9]);
    for (const v of [0.05, 0.5, 5]) histogram.observe(v);
    for (let i = 1; i <= 100; i++) summary.observe(i);
    probe = 42;
    const text = await metrics.registry.metrics();
    expect(value(text, 'c_total')).toBe(3);
    expect(value(text, 'g')).toBe(42);
    expect(text).toContain('# TYPE h_seconds histogram');
    expect(value(text, 'h_seconds_bucket{le="0.1"}')).toBe(1);
    expect(value(text, 'h_seconds_bucket{le="1"}')).toBe(2);
    expect(value(text, 'h_seconds_count')).toBe(3);
    expect(value(text, 's{quantile="0.5"}')).toBeCloseTo(50, -1);
    expect(value(text, 's{quantile="0.9"}')).toBeCloseTo(90, -1);
    expect(value(text, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
  });

  it('rejects bad names, taken names, bad buckets and quantiles with a ConfigError', () => {
    const metrics = new PromMetricsRegistry();
    metrics.counter('taken_total', 'x');
    expect(() => metrics.counter('taken_total', 'x')).toThrow(ConfigError);
    expect(() => metrics.gauge('bad-name', 'x')).toThrow(ConfigError);
    expect(() => metrics.histogram('h', 'x', [1, 0.5])).toThrow(ConfigError);
    expect(() => metrics.summary('s', 'x', [1.5])).toThrow(ConfigError);
    expect(() => new PromMetricsRegistry({ summaryMaxAgeSeconds: 0 })).toThrow(ConfigError);
  });
});
