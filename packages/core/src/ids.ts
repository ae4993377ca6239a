import { randomBytes } from 'node:crypto';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[1-8][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/**
 * A new upload id: a UUIDv7 (RFC 9562), so ids sort by creation time, which keeps the primary-key
 * index append-mostly and gives later list endpoints a stable order for free.
 */
export function newUploadId(now: number = Date.now()): string {
  const bytes = randomBytes(16);
  bytes.writeUIntBE(now, 0, 6);
  bytes[6] = 0x70 | (bytes[6]! & 0x0f);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** True for a lowercase canonical UUID; anything else can't name an upload. */
export function isUploadId(value: string): boolean {
  return UUID_PATTERN.test(value);
}

/**
 * The provider public id an upload writes to: the client's `publicId` if given, else the upload id,
 * under the client's `folder` if given, all under a folder named after the tenant. Deterministic, so
 * every retry of the job targets one asset; tenant-scoped, so one tenant can never overwrite (or,
 * through DELETE, destroy) another tenant's asset by choosing the same `publicId`.
 */
export function derivePublicId(uploadId: string, tenantId: string, options: { publicId?: string | undefined; folder?: string | undefined }): string {
  const name = options.publicId ?? uploadId;
  return [tenantId, options.folder, name].filter(Boolean).join('/');
}
