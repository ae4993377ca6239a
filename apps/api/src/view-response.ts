import { createHash } from 'node:crypto';
import type { Upload } from '@hoist/core';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { CachedView } from './upload-view-cache.js';
import { toUploadView } from './upload-view.js';

/**
 * How an upload is cached by clients: privately (it is one tenant's), and revalidated on every use
 * (it changes as the upload runs), which the ETag makes a `304` without a body.
 */
export const UPLOAD_CACHE_CONTROL = 'private, no-cache';

/**
 * The upload as GET /v1/uploads/:id sends it: serialized once by the route's response schema
 * (`serialize`, fast-json-stringify), with a strong ETag of exactly those bytes, so any change to
 * the resource (status, attempts, result, updatedAt…) is a new ETag.
 */
export function serializedView(upload: Upload, serialize: (view: unknown) => string): CachedView {
  const body = serialize(toUploadView(upload));
  return { tenantId: upload.tenantId, status: upload.status, body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
}

/** Sends `view`, or `304 Not Modified` when the request's `If-None-Match` names its ETag. */
export function sendView(request: FastifyRequest, reply: FastifyReply, view: CachedView): FastifyReply {
  void reply.header('etag', view.etag).header('cache-control', UPLOAD_CACHE_CONTROL);
  const ifNoneMatch = request.headers['if-none-match'];
  if (ifNoneMatch !== undefined && noneMatch(ifNoneMatch, view.etag)) return reply.code(304).send();
  return reply.type('application/json; charset=utf-8').send(view.body);
}

/**
 * RFC 9110 §13.1.2: `*`, or a list of entity tags compared weakly (`W/"x"` matches `"x"`).
 * True when the condition is false, i.e. the client's copy is current.
 */
function noneMatch(header: string, etag: string): boolean {
  if (header.trim() === '*') return true;
  for (const candidate of header.split(',')) {
    const tag = candidate.trim();
    if ((tag.startsWith('W/') ? tag.slice(2) : tag) === etag) return true;
  }
  return false;
}
