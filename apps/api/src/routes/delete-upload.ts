import { deleteUpload, PermanentProviderError, ProviderError, RateLimitedError, type DeleteUploadDeps } from '@hoist/core';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { findOwnUpload, uploadNotFound } from '../own-upload.js';
import { HttpProblem, problemResponses, unavailable } from '../problem.js';
import { toUploadView, uploadViewSchema } from '../upload-view.js';

export type DeleteRouteOptions = Omit<DeleteUploadDeps, 'logger' | 'provider'> & {
  /** Absent when the API has no CLOUDINARY_URL: deleting then answers 503. */
  provider?: DeleteUploadDeps['provider'] | undefined;
};

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
    async (request, reply) => {
      const upload = await findOwnUpload(options.uploads, request.tenantId, request.params.id);
      const { id } = upload;
      const { provider } = options;
      if (!provider) {
        // What needs no provider is answered as usual: already deleted, or not finished.
        if (upload.status === 'deleted') return toUploadView(upload);
        if (upload.status === 'queued' || upload.status === 'processing') throw notFinished(upload.status);
        throw new HttpProblem(503, 'provider-not-configured', 'Deleting is not available', 'This API has no CLOUDINARY_URL, so it cannot delete assets.');
      }
      const outcome = await deleteUpload({ ...options, provider, logger: request.log }, id, { tenantId: request.tenantId }).catch((error: unknown) =>
        providerProblem(error, reply),
      );
      if (outcome.kind === 'not_found') throw uploadNotFound(id);
      if (outcome.kind === 'unfinished') throw notFinished(outcome.upload.status);
      return toUploadView(outcome.upload);
    },
  );
}

function notFinished(status: string): HttpProblem {
  return new HttpProblem(409, 'upload-not-finished', 'Upload is not finished', `The upload is ${status}; cancel it before deleting it.`);
}

/** What a failed delete tells the client: try later (rate limit, outage) or the provider refused. */
function providerProblem(error: unknown, reply: FastifyReply): never {
  if (error instanceof RateLimitedError) {
    const seconds = error.resetAt ? Math.max(1, Math.ceil((error.resetAt.getTime() - Date.now()) / 1000)) : 60;
    void reply.header('retry-after', String(seconds));
    throw new HttpProblem(503, 'provider-rate-limited', 'Provider rate limited', 'The media provider is rate limiting; try again later.');
  }
  if (error instanceof PermanentProviderError) {
    throw new HttpProblem(502, 'provider-refused', 'Provider refused the deletion', error.message);
  }
  if (error instanceof ProviderError) throw new HttpProblem(503, 'provider-unavailable', 'Provider unavailable', 'The media provider is unavailable; try again shortly.');
  return unavailable('The database')(error);
}
