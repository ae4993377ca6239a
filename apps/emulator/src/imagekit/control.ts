import type { FastifyInstance } from 'fastify';
import { faultSettingsSchema } from '../fault-schema.js';
import type { FaultSettings } from '../faults.js';
import type { ImageKitContext } from './context.js';

/**
 * Test/operator API of the ImageKit account under `/__emulator/imagekit` (unauthenticated: the
 * emulator is a local tool), mirroring the Cloudinary one: its files, its faults and its stats.
 */
export function registerControl(app: FastifyInstance, context: ImageKitContext): void {
  app.get('/__emulator/imagekit/assets', () => ({
    assets: context.files.list().map((stored) => ({
      fileId: stored.fileId,
      filePath: stored.filePath,
      fileType: stored.fileType,
      size: stored.size,
      version: stored.version,
      tags: [...stored.tags],
      customMetadata: { ...stored.customMetadata },
      updatedAt: stored.updatedAt,
    })),
    customMetadataFields: context.fields.list(),
  }));

  app.delete('/__emulator/imagekit/assets', async () => {
    const deleted = await context.files.clear();
    context.fields.clear();
    return { deleted };
  });

  app.get('/__emulator/imagekit/stats', () => context.stats.snapshot());

  app.delete('/__emulator/imagekit/stats', () => {
    context.stats.reset();
    return context.stats.snapshot();
  });

  app.get('/__emulator/imagekit/faults', () => context.faults.settings());

  app.put<{ Body: Partial<FaultSettings> }>('/__emulator/imagekit/faults', { schema: { body: faultSettingsSchema } }, (request) => {
    context.faults.replace(request.body);
    return context.faults.settings();
  });

  app.delete('/__emulator/imagekit/faults', () => {
    context.faults.reset();
    return context.faults.settings();
  });
}
