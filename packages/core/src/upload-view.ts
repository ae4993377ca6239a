import type { Upload } from './upload.js';

/**
 * The upload resource as clients see it (README: "The upload resource"): GET /v1/uploads/:id
 * answers it, and webhook events carry it as `data.upload`, so both always agree.
 */
export function toUploadView(upload: Upload) {
  return {
    id: upload.id,
    status: upload.status,
    attempts: upload.attempts,
    reclaims: upload.reclaimCount,
    filename: upload.filename,
    provider: upload.provider,
    bytes: upload.bytes,
    contentType: upload.contentType,
    sha256: upload.sha256,
    sourceUrl: upload.sourceUrl,
    retryCount: upload.retryCount,
    createdAt: upload.createdAt.toISOString(),
    updatedAt: upload.updatedAt.toISOString(),
    completedAt: upload.completedAt?.toISOString() ?? null,
    deletedAt: upload.deletedAt?.toISOString() ?? null,
    result: upload.result,
    error: upload.error,
  };
}

/** The upload resource's JSON shape. */
export type UploadView = ReturnType<typeof toUploadView>;
