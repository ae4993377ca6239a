import { isUploadId, type Upload, type UploadRepository } from '@hoist/core';
import { HttpProblem } from './problem.js';

/**
 * The caller's tenant's upload with this id. A malformed id, an unknown one and another tenant's
 * all answer the same 404, so ids leak nothing across tenants.
 */
export async function findOwnUpload(uploads: UploadRepository, tenantId: string, id: string): Promise<Upload> {
  const upload = isUploadId(id) ? await uploads.find(id, { tenantId }) : undefined;
  if (!upload) throw uploadNotFound(id);
  return upload;
}

export function uploadNotFound(id: string): HttpProblem {
  return new HttpProblem(404, 'upload-not-found', 'Upload not found', `No upload with id "${id}".`);
}
