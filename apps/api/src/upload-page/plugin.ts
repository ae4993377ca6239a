import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { PAGE_ASSETS_DIR, UPLOAD_PAGE_ASSETS, UPLOAD_PAGE_ASSETS_PATH, UPPY_DIST_DIR } from './assets.js';
import { UPLOAD_PAGE_CSP, uploadPageHtml } from './page-html.js';

export interface UploadPageOptions {
  /** AUTH: with `on` the page asks for an API key before showing the uploader. */
  auth: 'on' | 'off';
}

/** Headers of the page itself: its CSP, no framing, no caching, no referrer. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': UPLOAD_PAGE_CSP,
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The browser upload page (UPLOAD_PAGE=on): GET /upload, an Uppy Dashboard uploading through
 * /v1/tus on this origin, and its files under /upload/assets/. Everything comes from this server
 * (no CDN). Register it only when the page is on: without it /upload is 404 like any unknown route.
 */
export async function uploadPagePlugin(app: FastifyInstance, options: UploadPageOptions): Promise<void> {
  const html = uploadPageHtml(options.auth);
  app.get('/upload', { schema: { hide: true } }, async (_request, reply) => reply.headers(PAGE_HEADERS).send(html));
  await app.register(fastifyStatic, {
    root: [PAGE_ASSETS_DIR, UPPY_DIST_DIR],
    prefix: UPLOAD_PAGE_ASSETS_PATH,
    decorateReply: false,
    index: false,
    // Only the page's files; anything else under the prefix is 404.
    allowedPath: (pathName) => UPLOAD_PAGE_ASSETS.has(pathName.replace(/^\//, '')),
    setHeaders: (response) => {
      response.header('x-content-type-options', 'nosniff');
    },
  });
}
