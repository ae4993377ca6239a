import { refusalMessage, type AcceptOutcome } from '@hoist/core';
import { tooManyUnfinished } from './domain-problems.js';
import { HttpProblem } from './problem.js';

/** What POST /v1/uploads answers for one upload the accept use case took (or found). */
export interface AcceptedAnswer {
  status: 200 | 202;
  uploadId: string;
  headers: Record<string, string>;
  body: { id: string; status: string; statusUrl: string };
}

/**
 * Translates the accept use case's outcome into HTTP: an answer for an upload (accepted: 202; an
 * earlier identical one under dedupe or an Idempotency-Key replay: 200), or the problem that refused it.
 */
export function acceptAnswer(outcome: AcceptOutcome, tenantId: string): AcceptedAnswer | HttpProblem {
  switch (outcome.kind) {
    case 'accepted':
      return answer(202, outcome.upload.id, outcome.upload.status, {});
    case 'deduplicated':
      return answer(200, outcome.upload.id, outcome.upload.status, { 'hoist-deduplicated': 'true' });
    case 'replayed':
      // The key was recorded with its upload in one transaction, so the original is there to read.
      return answer(200, outcome.uploadId, outcome.upload?.status ?? 'queued', { 'idempotent-replayed': 'true' });
    case 'idempotency_key_reused':
      return new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request; use a new key for a new upload.');
    case 'too_many_unfinished':
      return tooManyUnfinished(outcome.limit);
    case 'public_id_too_long':
      return new HttpProblem(
        400,
        'invalid-field',
        'Invalid field',
        `publicId: with the tenant folder ("${tenantId}/") and the folder, the public id must be at most ${outcome.maxLength} characters`,
        { field: 'publicId' },
      );
    case 'provider_not_configured':
      return new HttpProblem(422, 'provider-not-configured', 'Provider not configured', refusalMessage(outcome), { provider: outcome.provider, configured: outcome.configured });
    case 'provider_cannot_honour':
      return new HttpProblem(422, 'provider-cannot-honour', 'Provider cannot honour the upload', refusalMessage(outcome), { provider: outcome.provider });
  }
}

function answer(status: 200 | 202, id: string, uploadStatus: string, headers: Record<string, string>): AcceptedAnswer {
  const statusUrl = `/v1/uploads/${id}`;
  return { status, uploadId: id, headers: { location: statusUrl, ...headers }, body: { id, status: uploadStatus, statusUrl } };
}
