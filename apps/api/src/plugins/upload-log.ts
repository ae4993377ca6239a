import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';

/**
 * Puts `uploadId` and `tenantId` on every later line this request logs, its closing "request
 * completed" line included, so that one grep of an upload id finds the requests about it too.
 */
export function bindUploadLog(request: FastifyRequest, reply: FastifyReply, fields: { uploadId: string; tenantId: string }): void {
  const log = request.log.child(fields);
  request.log = log;
  reply.log = log;
}

/**
 * Binds the upload to the log lines of every request about one upload (`/v1/uploads/:id…`) once it
 * is authenticated (a refused request has no tenant, and is about no upload it may see). The tenant
 * is the caller's: for another tenant's id, which answers 404, that is who asked.
 */
export const uploadLogPlugin = fp(
  (app: FastifyInstance) => {
    app.addHook('onRequest', (request, reply, done) => {
      const { id } = request.params as { id?: unknown };
      if (typeof id === 'string' && request.routeOptions.url?.startsWith('/v1/uploads/:id')) bindUploadLog(request, reply, { uploadId: id, tenantId: request.tenantId });
      done();
    });
  },
  { name: 'hoist-upload-log', dependencies: ['hoist-auth'] },
);
