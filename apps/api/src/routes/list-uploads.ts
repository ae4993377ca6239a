import { UPLOAD_STATUSES, type UploadRepository, type UploadStatus } from '@hoist/core';
import type { FastifyInstance } from 'fastify';
import { problemResponses } from '../problem.js';
import { toUploadView, uploadViewSchema } from '../upload-view.js';
import { decodeCursor, encodeCursor } from '../cursor.js';

interface ListQuery {
  limit?: number;
  cursor?: string;
  status?: UploadStatus;
  createdAfter?: string;
  createdBefore?: string;
  tag?: string;
}

const querySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    limit: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
    cursor: { type: 'string', minLength: 1, maxLength: 200 },
    status: { type: 'string', enum: [...UPLOAD_STATUSES] },
    createdAfter: { type: 'string', format: 'date-time' },
    createdBefore: { type: 'string', format: 'date-time' },
    tag: { type: 'string', minLength: 1, maxLength: 100 },
  },
} as const;

const responseSchema = {
  type: 'object',
  required: ['uploads', 'nextCursor'],
  properties: { uploads: { type: 'array', items: uploadViewSchema }, nextCursor: { type: ['string', 'null'] } },
} as const;

/** GET /v1/uploads: the tenant's uploads, newest first, with keyset pagination and filters. */
export function listUploadsRoute(app: FastifyInstance, uploads: UploadRepository): void {
  app.get<{ Querystring: ListQuery }>(
    '/uploads',
    {
      schema: {
        summary: "List the tenant's uploads",
        tags: ['uploads'],
        querystring: querySchema,
        response: { 200: responseSchema, ...problemResponses(400, 401, 503) },
      },
    },
    async (request) => {
    const { limit = 20, cursor, status, createdAfter, createdBefore, tag } = request.query;
    const page = await uploads
      .list({
        tenantId: request.tenantId,
        // One more than asked tells whether there is a next page without a count query.
        limit: limit + 1,
        beforeId: cursor ? decodeCursor(cursor) : undefined,
        status,
        createdAfter: createdAfter ? new Date(createdAfter) : undefined,
        createdBefore: createdBefore ? new Date(createdBefore) : undefined,
        tag,
      });
    const items = page.slice(0, limit);
    const last = items.at(-1);
    return { uploads: items.map(toUploadView), nextCursor: page.length > limit && last ? encodeCursor(last.id) : null };
    },
  );
}
