export { AdvisoryLockRunner } from './advisory-lock.js';
export { KyselyApiKeyRepository } from './api-key.repository.js';
export { connectDatabase } from './connect.js';
export { createDatabase, pingDatabase } from './database.js';
export type { DatabaseOptions } from './database.js';
export { assertSchemaCurrent, ensureDatabase, migrateToLatest, SchemaBehindError } from './migrate.js';
export type { Database } from './schema.js';
export { KyselyUploadRepository } from './upload.repository.js';
export { KyselyWebhookRepository } from './webhook.repository.js';
