import { cancelUpload, type CancelUploadDeps } from '@hoist/core';
import type { FastifyInstance } from 'fastify';
import { announceChange, type ChangeAnnouncer } from '../announce-change.js';
import { findOwnUpload, uploadNotFound } from '../own-upload.js';
import { HttpProblem, problemResponses } from '../problem.js';
import { toUploadView, uploadViewSchema } from '../upload-view.js';

export type CancelRouteOptions = Omit<CancelUploadDeps, 'logger'> & ChangeAnnouncer;

/**
 * POST /v1/uploads/:id/cancel: a queued or running upload becomes `cancelled` (see cancelUpload
 * for how a running one stops). Repeating it answers the same; a finished upload is a 409.
 */
export function cancelUploadRoute(app: FastifyInstance, options: CancelRouteOptions): void {
  app.post<{ Params: { id: string } }>(
    '/uploads/:id/cancel',
    {
      schema: {
        summary: 'Cancel an upload',
        description: 'Queued: removed from the queue. Running: stopped at its next step, and any asset it created is removed.',
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: { 200: uploadViewSchema, ...problemResponses(401, 404, 409, 503) },
      },
    },
    async (request) => {
      const { id } = await findOwnUpload(options.uploads, request.tenantId, request.params.id);
      const outcome = await cancelUpload({ ...options, logger: request.log }, id, { tenantId: request.tenantId });
      if (outcome.kind === 'not_found') throw uploadNotFound(id);
      if (outcome.kind === 'final') {
        throw new HttpProblem(409, 'upload-not-cancellable', 'Upload cannot be cancelled', `The upload is ${outcome.upload.status}; only uploads still receiving, queued or running can be cancelled.`);
      }
      announceChange(options, request.log, { uploadId: id, status: outcome.upload.status });
      return toUploadView(outcome.upload);
    },
  );
}
