import type { Upload } from '@hoist/core';

/** The upload resource as clients see it (README: "The upload resource"). */
export function toUploadView(upload: Upload) {
  return {
    id: upload.id,
    status: upload.status,
    attempts: upload.attempts,
    filename: upload.filename,
    bytes: upload.bytes,
    contentType: upload.contentType,
    sha256: upload.sha256,
    createdAt: upload.createdAt.toISOString(),
    updatedAt: upload.updatedAt.toISOString(),
    completedAt: upload.completedAt?.toISOString() ?? null,
    result: upload.result,
    error: upload.error,
  };
}

const nullable = (type: string) => ({ type: [type, 'null'] });

/** JSON schema of the resource; also the response serializer. */
export const uploadViewSchema = {
  type: 'object',
  required: ['id', 'status', 'attempts', 'filename', 'bytes', 'contentType', 'sha256', 'createdAt', 'updatedAt', 'completedAt', 'result', 'error'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: ['queued', 'processing', 'succeeded', 'failed', 'cancelled'] },
    attempts: { type: 'integer' },
    filename: { type: 'string' },
    bytes: { type: 'integer' },
    contentType: { type: 'string' },
    sha256: { type: 'string' },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
    completedAt: { ...nullable('string'), format: 'date-time' },
    result: {
      type: ['object', 'null'],
      required: ['provider', 'publicId', 'url', 'secureUrl', 'format', 'width', 'height', 'bytes', 'version'],
      properties: {
        provider: { type: 'string' },
        publicId: { type: 'string' },
        url: { type: 'string' },
        secureUrl: { type: 'string' },
        format: nullable('string'),
        width: nullable('integer'),
        height: nullable('integer'),
        bytes: { type: 'integer' },
        version: nullable('integer'),
      },
    },
    error: {
      type: ['object', 'null'],
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' } },
    },
  },
} as const;
