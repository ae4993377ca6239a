import { MemoryJobQueue, MemoryTempStorage, MemoryUploadRepository } from '@hoist/core/memory';
import { singleProviderCatalog, type ApiKeyRepository, type WebhookRepository } from '@hoist/core';
import { CLOUDINARY_LIMITS } from '@hoist/provider-cloudinary';
import { createLogger } from '@hoist/logger';
import { DataStore } from '@tus/server';
import { buildApp } from './app.js';
import type { TusOptions } from './routes/tus.js';

/** A port the document never calls: building the routes only reads their schemas. */
const unused = <T extends object>(name: string): T =>
  new Proxy({} as T, {
    get: (_target, property) => {
      throw new Error(`openApiDocument: ${name}.${String(property)} was called while building the document`);
    },
  });

/**
 * The OpenAPI document the API serves at /openapi.json, built without any service (no Postgres,
 * Redis or provider): every route the document describes is registered, none is called. The client
 * SDK's types are generated from it (`pnpm client:types`), and a test checks them against the
 * document a running API serves.
 */
export async function openApiDocument(): Promise<Record<string, unknown>> {
  const app = await buildApp({
    uploads: new MemoryUploadRepository(),
    queue: new MemoryJobQueue(),
    storage: new MemoryTempStorage(),
    providers: singleProviderCatalog('cloudinary', CLOUDINARY_LIMITS),
    checks: {},
    logger: createLogger({ name: 'openapi', level: 'silent', format: 'json' }),
    maxUploadBytes: 1024,
    allowedContentTypes: ['image/png'],
    auth: { mode: 'on', apiKeys: unused<ApiKeyRepository>('apiKeys') },
    webhooks: unused<WebhookRepository>('webhooks'),
    // A datastore that stores nothing: the routes are registered, no request reaches it.
    tus: { datastore: new DataStore() as TusOptions['datastore'] },
  });
  try {
    await app.ready();
    return app.swagger() as unknown as Record<string, unknown>;
  } finally {
    await app.close();
  }
}
