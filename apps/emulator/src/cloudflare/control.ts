import type { FastifyInstance } from 'fastify';
import { faultSettingsSchema } from '../fault-schema.js';
import type { FaultSettings } from '../faults.js';
import type { CloudflareContext } from './cloudflare-context.js';

/** The Cloudflare side's test/operator API under `/__emulator/cloudflare` (unauthenticated, as the Cloudinary side's). */
export function registerCloudflareControl(app: FastifyInstance, context: CloudflareContext): void {
  app.get('/__emulator/cloudflare/assets', () => ({
    assets: context.store.list().map((image) => ({
      id: image.id,
      filename: image.filename,
      bytes: image.bytes,
      content_type: image.contentType,
      etag: image.etag,
      meta: image.meta ?? null,
      require_signed_urls: image.requireSignedURLs,
      uploaded: image.uploaded,
    })),
  }));

  app.delete('/__emulator/cloudflare/assets', async () => ({ deleted: await context.store.clear() }));

  app.get('/__emulator/cloudflare/stats', () => context.stats.snapshot());

  app.delete('/__emulator/cloudflare/stats', () => {
    context.stats.reset();
    return context.stats.snapshot();
  });

  app.get('/__emulator/cloudflare/faults', () => context.faults.settings());

  app.put<{ Body: Partial<FaultSettings> }>('/__emulator/cloudflare/faults', { schema: { body: faultSettingsSchema } }, (request) => {
    context.faults.replace(request.body);
    return context.faults.settings();
  });

  app.delete('/__emulator/cloudflare/faults', () => {
    context.faults.reset();
    return context.faults.settings();
  });
}
