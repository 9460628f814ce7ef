import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** What {@link serveMetrics} serves: a prom-client `Registry`, or anything with its two members. */
export interface MetricsExposition {
  /** Every metric in the text exposition format (collecting first). */
  metrics(): Promise<string>;
  /** The HTTP content type of {@link metrics}. */
  readonly contentType: string;
}

/** Options of {@link serveMetrics}. */
export interface ServeMetricsOptions {
  /** TCP port; 0 picks a free one. */
  readonly port: number;
  /** Interface to listen on. Default `127.0.0.1` (use `0.0.0.0` to let a remote Prometheus scrape). */
  readonly host?: string;
}

/** A running metrics endpoint. */
export interface MetricsServer {
  /** Where Prometheus scrapes, e.g. `http://127.0.0.1:9464/metrics`. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

/**
 * Serves a registry's metrics over HTTP for Prometheus: `GET /metrics` answers the text
 * exposition; any other path is 404, any other method 405.
 *
 * @example
 * ```ts
 * const server = await serveMetrics(promRegistry, { port: 9464 });
 * // ... run the pipeline ...
 * await server.close();
 * ```
 * @param registry - The metrics to serve (e.g. `PromMetricsRegistry.registry`).
 * @param options - port and host.
 * @returns The running server once it listens.
 * @throws The listen error (e.g. `EADDRINUSE`) when the port cannot be bound.
 */
export async function serveMetrics(registry: MetricsExposition, options: ServeMetricsOptions): Promise<MetricsServer> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    if (path !== '/metrics') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('not found: scrape /metrics\n');
      return;
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => response.writeHead(500, { 'content-type': 'text/plain' }).end(`cannot collect metrics: ${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/metrics`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error === undefined ? resolve() : reject(error)));
        server.closeAllConnections();
      }),
  };
}
