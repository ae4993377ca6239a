import { UPLOAD_STATUSES } from '@hoist/core';

/** The mapping lives in core: webhook events carry the same resource. */
export { toUploadView } from '@hoist/core';

const nullable = (type: string) => ({ type: [type, 'null'] });

/** What a provider stored, as the upload resource's `result` (and each of its mirrors) carries it. */
const RESULT_PROPERTIES = {
  provider: { type: 'string' },
  publicId: { type: 'string' },
  url: { type: 'string' },
  secureUrl: { type: 'string' },
  format: nullable('string'),
  width: nullable('integer'),
  height: nullable('integer'),
  bytes: { type: 'integer' },
  version: nullable('integer'),
  resourceType: { ...nullable('string'), description: "The provider's resource type (image, video, raw)." },
  assetId: { ...nullable('string'), description: "The provider's own id of the asset (ImageKit fileId, Cloudflare image id, Cloudinary asset_id)." },
  deliveryUrls: {
    type: ['object', 'null'],
    additionalProperties: { type: 'string' },
    description: 'Named delivery URLs beyond secureUrl: Cloudflare variants by name; `transform`, a URL template whose `{transformation}` is replaced by a transformation string.',
  },
} as const;

/** JSON schema of the resource; also the response serializer. */
export const uploadViewSchema = {
  type: 'object',
  required: [
    'id',
    'status',
    'attempts',
    'reclaims',
    'filename',
    'provider',
    'bytes',
    'contentType',
    'sha256',
    'sourceUrl',
    'retryCount',
    'createdAt',
    'updatedAt',
    'completedAt',
    'deletedAt',
    'result',
    'error',
  ],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: [...UPLOAD_STATUSES] },
    attempts: { type: 'integer', description: 'Provider attempts spent (rate-limited calls and runs cut short by a dying worker do not count).' },
    reclaims: { type: 'integer', description: 'Times a worker died (or lost its lock) while running the upload and another took it over; at more than MAX_RECLAIMS it fails with `reclaims_exhausted`.' },
    filename: { type: 'string' },
    provider: { type: 'string', description: 'The provider the upload was sent to (cloudinary, imagekit, cloudflare); `result.provider` says where it landed.' },
    /** The next three are null for a URL upload until a worker has fetched its source. */
    bytes: nullable('integer'),
    contentType: nullable('string'),
    sha256: nullable('string'),
    sourceUrl: { ...nullable('string'), description: 'For uploads from a URL: the URL given.' },
    retryCount: { type: 'integer', description: 'Times the upload was sent back to the queue after failing.' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    completedAt: { ...nullable('string'), format: 'date-time' },
    deletedAt: { ...nullable('string'), format: 'date-time' },
    result: {
      type: ['object', 'null'],
      required: ['provider', 'publicId', 'url', 'secureUrl', 'format', 'width', 'height', 'bytes', 'version'],
      properties: {
        ...RESULT_PROPERTIES,
        mirrors: {
          type: ['array', 'null'],
          description: 'With PROVIDER_MIRROR: the copies on the mirror provider, each like the result itself.',
          items: { type: 'object', required: ['provider', 'publicId', 'url', 'secureUrl'], properties: RESULT_PROPERTIES },
        },
      },
    },
    error: {
      type: ['object', 'null'],
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
