import { randomBytes } from 'node:crypto';
import { describeUploadRepository } from '@hoist/core/conformance';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll } from 'vitest';
import { createTestDatabase } from '../../../test/support/resources.js';
import { createDatabase } from './database.js';
import type { Database } from './schema.js';
import { KyselyUploadRepository } from './upload.repository.js';

let db: Kysely<Database>;
let drop: () => Promise<void>;

beforeAll(async () => {
  const test = await createTestDatabase();
  drop = test.drop;
  db = createDatabase({ url: test.url });
});
afterAll(async () => {
  await db.destroy();
  await drop();
});

describeUploadRepository('KyselyUploadRepository', async () => {
  // Every test starts from an empty store: the outbox and the unfinished list span tenants.
  await sql`truncate idempotency_key, upload`.execute(db);
  return {
    uploads: new KyselyUploadRepository(db),
    newTenant: async () => {
      const id = `t-${randomBytes(4).toString('hex')}`;
      await db.insertInto('tenant').values({ id }).execute();
      return id;
    },
  };
});
