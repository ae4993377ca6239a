import type { JobQueue, TempStorage, UploadRepository } from '@hoist/core';
import type { FastifyInstance } from 'fastify';
import { findOwnUpload } from '../own-upload.js';
import { HttpProblem, problemResponses, unavailable } from '../problem.js';
import { toUploadView, uploadViewSchema } from '../upload-view.js';

export interface CancelRouteOptions {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
}

const conflict = (detail: string) => new HttpProblem(409, 'upload-not-cancellable', 'Upload cannot be cancelled', detail);

/**
 * POST /v1/uploads/:id/cancel: a queued upload (waiting, or waiting for a retry or a rate limit)
 * becomes `cancelled`, its job is removed and its bytes deleted. Repeating it answers the same.
 * An upload a worker is running cannot be cancelled yet (409).
 */
export function cancelUploadRoute(app: FastifyInstance, options: CancelRouteOptions): void {
  const { uploads, queue, storage } = options;
  app.post<{ Params: { id: string } }>(
    '/uploads/:id/cancel',
    {
      schema: {
        summary: 'Cancel a queued upload',
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: { 200: uploadViewSchema, ...problemResponses(401, 404, 409, 503) },
      },
    },
    async (request) => {
      const { id } = request.params;
      const upload = await findOwnUpload(uploads, request.tenantId, id);
      if (upload.status === 'cancelled') return toUploadView(upload);
      if (upload.status !== 'queued') throw conflict(`The upload is ${upload.status}; only queued uploads can be cancelled.`);

      // Remove the job first: once it is gone no worker can claim the upload, so cancelling the
      // row cannot race a worker that is about to start.
      if (!(await queue.removeJob(id).catch(unavailable('The job queue')))) throw conflict('A worker has just started this upload.');
      if (!(await uploads.markCancelled(id).catch(unavailable('The database')))) {
        throw conflict('The upload changed state while it was being cancelled.');
      }
      await storage.delete(upload.storageKey).catch((error: unknown) => request.log.warn({ err: error, uploadId: id }, 'could not delete the bytes of a cancelled upload'));
      request.log.info({ uploadId: id, tenantId: request.tenantId }, 'upload cancelled');
      const cancelled = await uploads.find(id, { tenantId: request.tenantId }).catch(unavailable('The database'));
      return toUploadView(cancelled ?? upload);
    },
  );
}
