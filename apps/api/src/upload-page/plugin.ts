import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { UPLOAD_PAGE_ASSETS, UPLOAD_PAGE_ASSETS_PATH, uploadPageAssetDirs } from './assets.js';
import { UPLOAD_PAGE_CSP, uploadPageHtml } from './page-html.js';

export interface UploadPageOptions {
  /** AUTH: with `on` the page asks for an API key before showing the uploader. */
  auth: 'on' | 'off';
}

/** Headers of the page itself: its CSP, no framing, no opener across origins, no caching, no referrer. */
const PAGE_HEADERS = {
  'content-type': 'text/html; charset=utf-8',
  'content-security-policy': UPLOAD_PAGE_CSP,
  'x-frame-options': 'DENY',
  // A page on another origin that opened this one (window.open) gets no handle to the tab holding the key.
  'cross-origin-opener-policy': 'same-origin',
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
  const root = uploadPageAssetDirs();
  const html = uploadPageHtml(options.auth);
  app.get('/upload', { schema: { hide: true } }, async (_request, reply) => reply.headers(PAGE_HEADERS).send(html));
  await app.register(fastifyStatic, {
    root,
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
