import { createServer, type Server } from 'node:http';
import type { Logger } from '@hoist/core';
import { bearerTokenMatches, type HoistMetrics } from '@hoist/metrics';

export interface HealthServerOptions {
  host: string;
  port: number;
  metrics: HoistMetrics;
  /** Readiness probes by dependency name; /readyz is 503 while any fails. */
  checks: Record<string, () => Promise<void>>;
  metricsToken?: string | undefined;
  logger: Logger;
}

function json(status: number, body: unknown, type = 'application/json'): { status: number; type: string; body: string } {
  return { status, type, body: JSON.stringify(body) };
}

/**
 * The worker's small HTTP server for orchestrators and Prometheus: GET /healthz (alive), /readyz
 * (Postgres and Redis answer), /metrics. Resolves undefined, with a warning, when the port is
 * taken — several workers on one host need a port each (WORKER_METRICS_PORT), and a busy port must
 * not stop a worker from working.
 */
export async function startHealthServer(options: HealthServerOptions): Promise<Server | undefined> {
  const server = createServer((request, response) => {
    void (async () => {
      const path = (request.url ?? '/').split('?')[0];
      let answer: { status: number; type: string; body: string };
      if (request.method !== 'GET') answer = json(405, { type: 'urn:hoist:problem:method-not-allowed', title: 'Method not allowed', status: 405 }, 'application/problem+json');
      else if (path === '/healthz') answer = json(200, { status: 'ok' });
      else if (path === '/readyz') {
        const results = await Promise.all(
          Object.entries(options.checks).map(async ([name, check]) => [name, await check().then(() => 'ok', () => 'down')] as const),
        );
        const down = results.filter(([, state]) => state === 'down').map(([name]) => name);
        const checks = Object.fromEntries(results);
        answer = down.length
          ? json(503, { type: 'urn:hoist:problem:not-ready', title: 'Not ready', status: 503, detail: `Unavailable: ${down.join(', ')}`, checks }, 'application/problem+json')
          : json(200, { status: 'ok', checks });
      } else if (path === '/metrics') {
        if (options.metricsToken && !bearerTokenMatches(request.headers.authorization, options.metricsToken)) {
          answer = json(401, { type: 'urn:hoist:problem:unauthorized', title: 'Unauthorized', status: 401 }, 'application/problem+json');
        } else {
          const { contentType, body } = await options.metrics.expose();
          answer = { status: 200, type: contentType, body };
        }
      } else answer = json(404, { type: 'urn:hoist:problem:not-found', title: 'Not found', status: 404 }, 'application/problem+json');
      response.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body);
    })().catch((error: unknown) => {
      options.logger.error({ err: error }, 'health server error');
      if (!response.headersSent) response.writeHead(500).end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EADDRINUSE') return reject(error);
      options.logger.warn({ port: options.port }, 'metrics/health port in use; this worker runs without it (give each worker its own WORKER_METRICS_PORT)');
      resolve(undefined);
    });
    server.listen(options.port, options.host, () => resolve(server));
  });
}
