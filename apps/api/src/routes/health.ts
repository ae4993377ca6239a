import type { FastifyInstance, FastifyReply } from 'fastify';
import { problemResponses, problemType } from '../problem.js';

/** A named readiness probe: resolves when the dependency answers. */
export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2_000;

/**
 * GET /healthz (the process is alive) and GET /readyz: 200 `ok` when every dependency answers,
 * 200 `degraded` when only optional ones are down (the API still accepts uploads: without Redis they
 * wait in the outbox), 503 when a required one is down.
 */
export function healthRoutes(app: FastifyInstance, checks: Record<string, ReadinessCheck>, optional: readonly string[] = []): void {
  // Probes arrive every few seconds from orchestrators; logging each would drown the real traffic.
  app.get(
    '/healthz',
    { logLevel: 'warn', schema: { summary: 'Liveness', tags: ['health'], response: { 200: { type: 'object', properties: { status: { type: 'string' } } } } } },
    () => ({ status: 'ok' }),
  );

  const readySchema = {
    type: 'object',
    properties: { status: { type: 'string', enum: ['ok', 'degraded'] }, checks: { type: 'object', additionalProperties: { type: 'string', enum: ['ok', 'down'] } } },
  };
  app.get('/readyz', { logLevel: 'warn', schema: { summary: 'Readiness', tags: ['health'], response: { 200: readySchema, ...problemResponses(503) } } }, async (_request, reply: FastifyReply) => {
    const results = await Promise.all(
      Object.entries(checks).map(async ([name, check]) => [name, await probe(check)] as const),
    );
    const report = Object.fromEntries(results);
    const down = results.filter(([, state]) => state !== 'ok').map(([name]) => name);
    if (down.every((name) => optional.includes(name))) {
      return reply.send({ status: down.length ? 'degraded' : 'ok', checks: report });
    }
    return reply
      .code(503)
      .type('application/problem+json')
      .send({
        type: problemType('not-ready'),
        title: 'Not ready',
        status: 503,
        detail: `Unavailable: ${down.join(', ')}`,
        checks: report,
      });
  });
}

async function probe(check: ReadinessCheck): Promise<'ok' | 'down'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timeout')), CHECK_TIMEOUT_MS);
      }),
    ]);
    return 'ok';
  } catch {
    return 'down';
  } finally {
    clearTimeout(timer);
  }
}
