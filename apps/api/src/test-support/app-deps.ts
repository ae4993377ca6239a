import { MemoryJobQueue, MemoryTempStorage } from '@hoist/core/memory';
import { KyselyApiKeyRepository, KyselyUploadRepository, KyselyWebhookRepository, type Database } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { singleProviderCatalog } from '@hoist/core';
import { CLOUDINARY_LIMITS } from '@hoist/provider-cloudinary';
import type { Kysely } from 'kysely';
import type { AppDeps } from '../app.js';

/** Everything buildApp needs for a test on `db`: real repositories (webhooks too), an in-memory queue no worker takes from, memory storage, silent logs, AUTH=off. */
export function testAppDeps(db: Kysely<Database>, overrides: Partial<AppDeps> = {}): AppDeps {
  return {
    uploads: new KyselyUploadRepository(db),
    queue: new MemoryJobQueue(),
    storage: new MemoryTempStorage(),
    providers: singleProviderCatalog('cloudinary', CLOUDINARY_LIMITS),
    checks: {},
    logger: createLogger({ name: 'api-test', level: 'silent', format: 'json' }),
    maxUploadBytes: 1024 * 1024,
    allowedContentTypes: ['image/png'],
    auth: { mode: 'off', apiKeys: new KyselyApiKeyRepository(db) },
    webhooks: new KyselyWebhookRepository(db),
    ...overrides,
  };
}
