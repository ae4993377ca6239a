import { FINAL_STATUSES, type Upload, type UploadRepository } from '@hoist/core';
import type { FastifyInstance } from 'fastify';
import { findOwnUpload } from '../own-upload.js';
import { problemResponses } from '../problem.js';
import { holdStream, keyRevoked, type StreamLimits } from '../stream-guard.js';
import { toUploadView } from '../upload-view.js';
import type { WaitForChange } from '../long-poll.js';

/** A stream ends after this long even if the upload never settles; clients reconnect (EventSource does). */
const MAX_STREAM_MS = 10 * 60_000;
/** A comment line this often keeps proxies from closing an idle stream. */
const KEEPALIVE_MS = 15_000;

const sameState = (a: Upload, b: Upload) => a.updatedAt.getTime() === b.updatedAt.getTime();

/**
 * GET /v1/uploads/:id/events: Server-Sent Events. One `status` event with the upload resource at
 * once and after every change, until it is final; then the stream ends.
 */
export function uploadEventsRoute(app: FastifyInstance, uploads: UploadRepository, waitForChange: WaitForChange, streams?: StreamLimits): void {
  app.get<{ Params: { id: string } }>(
    '/uploads/:id/events',
    {
      schema: {
        summary: 'Follow an upload (Server-Sent Events)',
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: { 200: { description: 'text/event-stream of `status` events', content: { 'text/event-stream': { schema: { type: 'string' } } } }, ...problemResponses(401, 404, 429, 503) },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const find = () => uploads.find(id, { tenantId: request.tenantId });
      let upload: Upload = await findOwnUpload(uploads, request.tenantId, id);
      // Ends (aborts) when the client goes away or its key is revoked; 429 here when the tenant is at its cap.
      const held = await holdStream(request, reply, streams);

      const deadline = Date.now() + MAX_STREAM_MS;
      reply.hijack();
      const out = reply.raw;
      try {
        // Headers the hooks set (CORS's, for a page on another origin) go out with the stream's own.
        for (const [name, value] of Object.entries(reply.getHeaders())) if (value !== undefined) out.setHeader(name, value);
        out.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
        const send = (current: Upload) => out.write(`event: status\ndata: ${JSON.stringify(toUploadView(current))}\n\n`);
        send(upload);
        while (!FINAL_STATUSES.includes(upload.status) && !held.signal.aborted && Date.now() < deadline) {
          const changed = waitForChange(id, KEEPALIVE_MS, held.signal);
          // Read after starting to listen, so a change in between is not missed.
          let next: Upload = (await find()) ?? upload;
          if (sameState(next, upload)) {
            await changed;
            next = (await find()) ?? upload;
          }
          if (!sameState(next, upload)) send(next);
          else if (!held.signal.aborted) out.write(': keep-alive\n\n');
          upload = next;
        }
      } catch (error) {
        request.log.warn({ err: error }, 'upload event stream ended early');
      } finally {
        await held.release();
      }
      // The status is sent already; a revoked key ends the stream with the 401 problem as its last event.
      if (held.revoked) out.write(`event: error\ndata: ${JSON.stringify(keyRevoked(reply).toProblem(request.url))}\n\n`);
      out.end();
    },
  );
}
