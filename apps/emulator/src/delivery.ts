import { open } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { needsSignedUrl, urlSignature } from './asset-response.js';
import { requireCloud, resourceTypeParam } from './context.js';
import type { EmulatorContext } from './context.js';
import { HttpError } from './errors.js';
import type { ResourceType } from './media.js';
import type { AssetStore, StoredAsset } from './store.js';
import type { DeliveryType } from './upload-params.js';

/**
 * The asset a delivery path names: `public_id.format`, or the bare public_id (which serves the
 * original, as Cloudinary does without a format). A leading `v123/` segment is the version; like
 * the CDN, any version serves the current bytes.
 */
export function findDelivered(store: AssetStore, resourceType: ResourceType, path: string, type: DeliveryType = 'upload'): StoredAsset | undefined {
  const unversioned = path.replace(/^v\d+\//, '');
  const exact = store.get(resourceType, unversioned, type);
  if (exact?.format === undefined && exact !== undefined) return exact;
  const dot = unversioned.lastIndexOf('.');
  if (dot > unversioned.lastIndexOf('/')) {
    const asset = store.get(resourceType, unversioned.slice(0, dot), type);
    if (asset?.format !== undefined && asset.format.toLowerCase() === unversioned.slice(dot + 1).toLowerCase()) return asset;
  }
  return exact;
}

interface DeliveryRoute {
  Params: { cloud: string; resource_type: string; type: string; '*': string };
}

const SIGNED = /^(s--[A-Za-z0-9_-]{8}--)\/(.*)$/;

/**
 * `GET /:cloud/:resource_type/:type/[s--sig--/][v:version/]*`: the stored bytes. Private and
 * authenticated assets (and access_mode authenticated) are served only with a valid URL
 * signature, as their returned URLs carry; without one the answer is 401 like the CDN's.
 */
export function registerDelivery(app: FastifyInstance, context: EmulatorContext): void {
  app.get<DeliveryRoute>('/:cloud/:resource_type/:type/*', async (request, reply) => {
    requireCloud(context, request.params.cloud);
    const resourceType = resourceTypeParam(request.params.resource_type, false);
    const type = request.params.type;
    if (type !== 'upload' && type !== 'private' && type !== 'authenticated') throw new HttpError(404, 'Resource not found');
    const signed = SIGNED.exec(request.params['*']);
    const path = signed?.[2] ?? request.params['*'];
    const asset = findDelivered(context.store, resourceType, path, type);
    if (asset === undefined) throw new HttpError(404, 'Resource not found');
    if (needsSignedUrl(asset)) {
      const unversioned = decodeURIComponent(path.replace(/^v\d+\//, ''));
      if (signed?.[1] !== urlSignature(unversioned, context)) throw new HttpError(401, 'Unauthorized - a signed URL is required');
    }

    const etag = `"${asset.etag}"`;
    void reply.header('etag', etag);
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    // Open before answering: an overwrite may unlink the file, and an open descriptor survives that.
    const handle = await open(asset.path).catch(() => undefined);
    if (handle === undefined) throw new HttpError(404, 'Resource not found');
    void reply.headers({ 'content-type': asset.contentType, 'content-length': String(asset.bytes) });
    return reply.send(handle.createReadStream());
  });
}
