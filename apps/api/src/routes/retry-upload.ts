import { retryUpload, type RetryUploadDeps } from '@hoist/core';
import type { FastifyInstance } from 'fastify';
import { announceChange, type ChangeAnnouncer } from '../announce-change.js';
import { findOwnUpload, uploadNotFound } from '../own-upload.js';
import { HttpProblem, problemResponses } from '../problem.js';
import { toUploadView, uploadViewSchema } from '../upload-view.js';

export type RetryRouteOptions = Omit<RetryUploadDeps, 'logger' | 'maxUnfinished'> & ChangeAnnouncer & {
  /** `maxUnfinishedUploads` (`TENANT_MAX_UNFINISHED_UPLOADS`): a retry that would pass it is refused with 429; 0 or absent: no cap. */
  limits?: { maxUnfinishedUploads: number } | undefined;
};

/**
 * POST /v1/uploads/:id/retry: a failed upload goes back to the queue with fresh attempts (202).
 * Not failed → 409; a file upload whose bytes are no longer kept → 409 `upload-bytes-gone`; the
 * tenant at `TENANT_MAX_UNFINISHED_UPLOADS` → 429 `too-many-unfinished-uploads` with Retry-After.
 */
export function retryUploadRoute(app: FastifyInstance, options: RetryRouteOptions): void {
  app.post<{ Params: { id: string } }>(
    '/uploads/:id/retry',
    {
      schema: {
        summary: 'Retry a failed upload',
        description:
          'Sends a failed upload back to the queue with fresh attempts. URL uploads can always be retried (the URL is fetched again); file uploads while their bytes are kept (uploads that ran out of attempts, for FAILED_UPLOAD_RETENTION_MS).',
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        response: { 202: uploadViewSchema, ...problemResponses(401, 404, 409, 429, 503) },
      },
    },
    async (request, reply) => {
      const { id } = await findOwnUpload(options.uploads, request.tenantId, request.params.id);
      const outcome = await retryUpload({ ...options, maxUnfinished: options.limits?.maxUnfinishedUploads, logger: request.log }, id, { tenantId: request.tenantId });
      switch (outcome.kind) {
        case 'not_found':
          throw uploadNotFound(id);
        case 'not_failed':
          throw new HttpProblem(409, 'upload-not-retryable', 'Upload cannot be retried', `The upload is ${outcome.upload.status}; only failed uploads can be retried.`);
        case 'bytes_gone':
          throw new HttpProblem(
            409,
            'upload-bytes-gone',
            'Upload cannot be retried',
            `The file's bytes are no longer kept (the upload failed with ${outcome.upload.error?.code ?? 'an error'}); upload the file again.`,
          );
        case 'settling':
          void reply.header('retry-after', '1');
          throw new HttpProblem(409, 'upload-settling', 'Upload is still settling', 'The upload has only just failed; retry it again in a moment.');
        case 'queued':
          announceChange(options, request.log, { uploadId: id, status: outcome.upload.status });
          return reply.code(202).header('location', `/v1/uploads/${id}`).send(toUploadView(outcome.upload));
      }
    },
  );
}
