import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { domainProblem } from '../domain-problems.js';
import { dependencyProblem, HttpProblem, internalError, problemType, type Problem } from '../problem.js';

/** Titles and slugs for errors Fastify and its plugins raise themselves. */
const FRAMEWORK_PROBLEMS: Record<number, { slug: string; title: string }> = {
  400: { slug: 'bad-request', title: 'Bad request' },
  404: { slug: 'not-found', title: 'Not found' },
  405: { slug: 'method-not-allowed', title: 'Method not allowed' },
  408: { slug: 'request-timeout', title: 'Request timeout' },
  413: { slug: 'payload-too-large', title: 'Payload too large' },
  415: { slug: 'unsupported-media-type', title: 'Unsupported media type' },
  429: { slug: 'too-many-requests', title: 'Too many requests' },
  431: { slug: 'header-fields-too-large', title: 'Request header fields too large' },
};

export function sendProblem(reply: FastifyReply, problem: Problem): FastifyReply {
  return reply.code(problem.status).type('application/problem+json').send(problem);
}

/**
 * One place that turns every error into problem+json: our HttpProblems, the domain errors (caps,
 * conflicts, provider refusals and outages: see domain-problems.ts), Fastify's own 4xx errors
 * (validation, content type, body limits, multipart limits), unknown routes, an unreachable
 * Postgres or Redis (503, see dependencyProblem: only the stores' own "unavailable" errors, so a
 * bug is never reported as an outage), and — as a last resort — unexpected errors: a 500, logged
 * with their stack and shown to the client without internals but with the request id to quote.
 * Routes therefore throw domain errors as they come; none catches and re-labels them.
 */
export const problemsPlugin = fp(
  (app: FastifyInstance) => {
    app.setErrorHandler((thrown: FastifyError | HttpProblem, request: FastifyRequest, reply: FastifyReply) => {
      const error = domainProblem(thrown) ?? dependencyProblem(thrown) ?? thrown;
      if (error instanceof HttpProblem) {
        if (error.status >= 500) request.log.error({ err: error.cause ?? error }, error.message);
        void reply.headers(error.headers);
        return sendProblem(reply, error.toProblem(request.url));
      }
      const status = error.statusCode ?? 500;
      if (status >= 400 && status < 500) {
        const known = FRAMEWORK_PROBLEMS[status] ?? { slug: 'bad-request', title: 'Bad request' };
        return sendProblem(reply, {
          type: problemType(error.validation ? 'invalid-request' : known.slug),
          title: error.validation ? 'Invalid request' : known.title,
          status,
          detail: error.message,
          instance: request.url,
        });
      }
      request.log.error({ err: error }, 'unhandled error');
      return sendProblem(reply, internalError(request.id).toProblem(request.url));
    });

    app.setNotFoundHandler((request, reply) =>
      sendProblem(reply, {
        type: problemType('not-found'),
        title: 'Not found',
        status: 404,
        detail: `No route for ${request.method} ${request.url.split('?')[0] ?? ''}`,
        instance: request.url,
      }),
    );
  },
  { name: 'hoist-problems' },
);
