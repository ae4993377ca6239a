import { open } from 'node:fs/promises';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { VARIANTS } from './cloudflare-context.js';
import type { CloudflareContext } from './cloudflare-context.js';

interface DeliveryRoute {
  Params: { hash: string; '*': string };
}

/** Cloudflare's delivery answers a missing image or variant with a plain-text error, not the API's JSON. */
function notFound(reply: FastifyReply): FastifyReply {
  return reply.code(404).type('text/plain; charset=utf-8').send('ERROR 9404: image not found');
}

/**
 * `GET /cdn-cgi/imagedelivery/:hash/<id>/<variant>`: the path Cloudflare serves images at on a zone
 * of its own (`https://imagedelivery.net/<hash>/<id>/<variant>` elsewhere), and what the API's
 * `variants` URLs point at here. Each variant serves the original bytes: the emulator does not resize.
 */
export function registerCloudflareDelivery(app: FastifyInstance, context: CloudflareContext): void {
  app.get<DeliveryRoute>('/cdn-cgi/imagedelivery/:hash/*', async (request, reply) => {
    const path = request.params['*'];
    const slash = path.lastIndexOf('/');
    const variant = path.slice(slash + 1);
    const image = request.params.hash === context.accountHash && slash > 0 && (VARIANTS as readonly string[]).includes(variant) ? context.store.get(path.slice(0, slash)) : undefined;
    if (image === undefined) return notFound(reply);
    const etag = `"${image.etag}"`;
    void reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    // Open before answering: a delete may unlink the file, and an open descriptor survives that.
    const handle = await open(image.path).catch(() => undefined);
    if (handle === undefined) return notFound(reply);
    void reply.headers({ 'content-type': image.contentType, 'content-length': String(image.bytes) });
    return reply.send(handle.createReadStream());
  });
}
