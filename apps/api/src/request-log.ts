import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One info line per request, written when it ends, with the request (method, URL), the status and
 * the time taken; for a request about an upload it also carries the upload's `uploadId` and
 * `tenantId` (see bindUploadLog). Fastify's own "incoming request" line is written before
 * authentication, so it could never name the tenant: it stays, at debug level, for tracing
 * requests that never finish.
 */
export class RequestLogController extends LogController {
  override incomingRequest(request: FastifyRequest): void {
    if (this.isLogDisabled(request)) return;
    request.log.debug({ req: request }, 'incoming request');
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (this.isLogDisabled(request)) return;
    if (error) reply.log.error({ req: request, res: reply, err: error, responseTime: reply.elapsedTime }, 'request errored');
    else reply.log.info({ req: request, res: reply, responseTime: reply.elapsedTime }, 'request completed');
  }
}
