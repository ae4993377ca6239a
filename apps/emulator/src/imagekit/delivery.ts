import { open } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { ImageKitError } from './answers.js';
import type { ImageKitContext } from './context.js';

interface DeliveryRoute {
  Params: { imagekitId: string; '*': string };
}

/**
 * `GET /imagekit/:imagekitId/*`: the stored bytes at the URL endpoint's path, as ImageKit's CDN
 * serves them. A transformation — a leading `tr:…/` path segment or a `tr` query parameter — is
 * accepted and not applied: the original is served.
 */
export function registerDelivery(app: FastifyInstance, context: ImageKitContext): void {
  app.get<DeliveryRoute>('/imagekit/:imagekitId/*', async (request, reply) => {
    if (request.params.imagekitId !== context.imagekitId) throw new ImageKitError(404, 'Not Found');
    const path = `/${request.params['*'].replace(/^tr:[^/]*\//, '')}`;
    const stored = context.files.atPath(path);
    if (stored === undefined) throw new ImageKitError(404, 'Not Found');
    const etag = `"${stored.versionId}"`;
    void reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    // Open before answering: an overwrite may unlink the file, and an open descriptor survives that.
    const handle = await open(stored.path).catch(() => undefined);
    if (handle === undefined) throw new ImageKitError(404, 'Not Found');
    void reply.headers({ 'content-type': stored.mime, 'content-length': String(stored.size) });
    return reply.send(handle.createReadStream());
  });
}
