import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** What a browser page on another origin may send to /v1: its key, JSON, idempotency and every tus request header. */
export const CORS_ALLOWED_HEADERS = [
  'Authorization',
  'Content-Type',
  'Idempotency-Key',
  'If-None-Match',
  'Last-Event-ID',
  'Tus-Resumable',
  'Upload-Length',
  'Upload-Defer-Length',
  'Upload-Metadata',
  'Upload-Offset',
  'Upload-Concat',
  'X-HTTP-Method-Override',
  'X-Request-Id',
  'X-Requested-With',
] as const;

/** The response headers such a page may read: Hoist's own and tus's. */
export const CORS_EXPOSED_HEADERS = [
  'Location',
  'ETag',
  'Retry-After',
  'Idempotent-Replayed',
  'Hoist-Deduplicated',
  'Hoist-Upload-Status',
  'X-Request-Id',
  'Tus-Resumable',
  'Tus-Version',
  'Tus-Extension',
  'Tus-Max-Size',
  'Upload-Offset',
  'Upload-Length',
  'Upload-Defer-Length',
  'Upload-Metadata',
  'Upload-Concat',
  'Upload-Expires',
] as const;

const METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * The one rule of which origins may call /v1 from a browser (CORS_ORIGINS, exactly as browsers send
 * `Origin`). Used by the CORS plugin and by /v1/tus, whose @tus/server writes its own CORS headers
 * (by default `Access-Control-Allow-Origin: *` for any origin — never what Hoist wants).
 */
export function corsOriginAllowed(origins: readonly string[]): (origin: string) => boolean {
  const allowed = new Set(origins);
  return (origin) => allowed.has(origin);
}

/**
 * CORS for /v1 (register inside it, before auth: a preflight carries no API key and is answered by
 * the plugin's hook). Only the listed origins get `Access-Control-Allow-Origin`; a preflight from
 * another still answers 204, without it, so the browser refuses. No credentials mode: the API key
 * travels in Authorization, never in a cookie. Without origins it registers nothing: no CORS headers,
 * and OPTIONS stays 404 like any unknown route.
 */
export async function registerCors(app: FastifyInstance, origins: readonly string[]): Promise<void> {
  if (origins.length === 0) return;
  // @fastify/cors is fastify-plugin wrapped: its hook and OPTIONS route land in `app` itself.
  await app.register(cors, {
    origin: [...origins],
    methods: METHODS,
    allowedHeaders: [...CORS_ALLOWED_HEADERS],
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    credentials: false,
    maxAge: 600,
    // 204 for every preflight (allowed origin or not), answered in the hook, before auth.
    strictPreflight: false,
  });
}
