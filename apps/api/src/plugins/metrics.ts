import { bearerTokenMatches, type HoistMetrics } from '@hoist/metrics';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../problem.js';

export interface MetricsPluginOptions {
  metrics: HoistMetrics;
  /** When set, /metrics wants `Authorization: Bearer <token>`; unset, it is open (as scrapers expect). */
  token?: string | undefined;
}

/** Counts every request by route template and serves GET /metrics (Prometheus text format). */
export const metricsPlugin = fp<MetricsPluginOptions>(
  (app: FastifyInstance, options: MetricsPluginOptions) => {
    const { metrics } = options;
    app.addHook('onResponse', (request, reply, done) => {
      // The route template, never the raw URL: ids in paths would make unbounded label values.
      const route = request.routeOptions.url ?? 'unmatched';
      metrics.httpRequests.inc({ method: request.method, route, status: String(reply.statusCode) });
      metrics.httpDuration.observe({ method: request.method, route }, reply.elapsedTime / 1000);
      done();
    });
    app.get('/metrics', { logLevel: 'warn', schema: { hide: true } }, async (request, reply) => {
      if (options.token && !bearerTokenMatches(request.headers.authorization, options.token)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new HttpProblem(401, 'unauthorized', 'Unauthorized', 'Send the metrics token as "Authorization: Bearer <token>".');
      }
      const { contentType, body } = await metrics.expose();
      return reply.type(contentType).send(body);
    });
  },
  { name: 'hoist-metrics' },
);
