import { deleteUpload, type DeleteUploadDeps } from '@hoist/core';
import type { FastifyInstance } from 'fastify';
import { announceChange, type ChangeAnnouncer } from '../announce-change.js';
import { findOwnUpload, uploadNotFound } from '../own-upload.js';
import { HttpProblem, problemResponses } from '../problem.js';
import { toUploadView, uploadViewSchema } from '../upload-view.js';

export type DeleteRouteOptions = Omit<DeleteUploadDeps, 'logger'> & ChangeAnnouncer;

/**
 * DELETE /v1/uploads/:id: destroys the provider asset, then marks the upload `deleted` (200 with the
 * upload). Safe to repeat. Queued or running uploads must be cancelled first (409).
 */
export function deleteUploadRoute(app: FastifyInstance, options: DeleteRouteOptions): void {
  app.delete<{ Params: { id: string } }>(
    '/uploads/:id',
    {
      schema: {
        summary: 'Delete an upload and its asset',
        description: 'Deletes the provider asset first, then marks the upload `deleted`; repeating it answers the same.',
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: { 200: uploadViewSchema, ...problemResponses(401, 404, 409, 502, 503) },
      },
    },
    async (request) => {
      const upload = await findOwnUpload(options.uploads, request.tenantId, request.params.id);
      const { id } = upload;
      // The provider's refusal or outage, or its missing credentials, becomes a problem in the error handler (domain-problems.ts).
      const outcome = await deleteUpload({ ...options, logger: request.log }, id, { tenantId: request.tenantId });
      if (outcome.kind === 'not_found') throw uploadNotFound(id);
      if (outcome.kind === 'unfinished') throw notFinished(outcome.upload.status);
      announceChange(options, request.log, { uploadId: id, status: outcome.upload.status });
      return toUploadView(outcome.upload);
    },
  );
}

function notFinished(status: string): HttpProblem {
  return new HttpProblem(409, 'upload-not-finished', 'Upload is not finished', `The upload is ${status}; cancel it before deleting it.`);
}
