import type { FastifyInstance } from 'fastify';
import type { EmulatorContext } from './context.js';
import { faultSettingsSchema } from './fault-schema.js';
import type { FaultSettings } from './faults.js';

/** Test/operator API under `/__emulator` (unauthenticated: the emulator is a local tool) and `/healthz`. */
export function registerControl(app: FastifyInstance, context: EmulatorContext): void {
  app.get('/healthz', () => ({ ok: true }));

  app.get('/__emulator/assets', () => ({
    assets: context.store.list().map((asset) => ({
      public_id: asset.publicId,
      resource_type: asset.resourceType,
      type: asset.type,
      bytes: asset.bytes,
      version: asset.version,
      etag: asset.etag,
      format: asset.format ?? null,
      writes: asset.writes,
      created_at: asset.createdAt,
    })),
  }));

  app.delete('/__emulator/assets', async () => {
    const deleted = await context.store.clear();
    await context.chunks.clear();
    return { deleted };
  });

  app.get('/__emulator/stats', () => context.stats.snapshot());

  app.delete('/__emulator/stats', () => {
    context.stats.reset();
    return context.stats.snapshot();
  });

  app.get('/__emulator/faults', () => context.faults.settings());

  app.put<{ Body: Partial<FaultSettings> }>('/__emulator/faults', { schema: { body: faultSettingsSchema } }, (request) => {
    context.faults.replace(request.body);
    return context.faults.settings();
  });

  app.delete('/__emulator/faults', () => {
    context.faults.reset();
    return context.faults.settings();
  });
}
