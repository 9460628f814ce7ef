import { describe, expect, it } from 'vitest';
import { serveMetrics } from '../../../connectors/metrics/index.js';
import { SimpleMetricsRegistry } from '../../../src/metrics/index.js';

describe('serveMetrics', () => {
  it('serves the exposition on GET /metrics, 404 elsewhere, 405 for other methods, and closes', async () => {
    const registry = new SimpleMetricsRegistry();
    const tokens = registry.counter('titans_tokens_total', 'Tokens');
    const server = await serveMetrics(registry, { port: 0 });
    try {
      expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
      tokens.inc(5);
      const response = await fetch(server.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(registry.contentType);
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
    const registry = new SimpleMetricsRegistry();
    registry.gauge('broken', 'Broken', () => Promise.reject(new Error('probe down')));
    const server = await serveMetrics(registry, { port: 0 });
    try {
      const response = await fetch(server.url);
      expect(response.status).toBe(500);
      expect(await response.text()).toMatch(/probe down/);
      const port = Number(new URL(server.url).port);
      await expect(serveMetrics(registry, { port })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await server.close();
    }
  });
});
