import { randomUUID } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyRepository } from '@hoist/core';
import { sql, type Kysely, type Selectable } from 'kysely';
import type { ApiKeyTable, Database } from './schema.js';

/** ApiKeyRepository on Postgres. Stores hashes only. */
export class KyselyApiKeyRepository implements ApiKeyRepository {
  constructor(private readonly db: Kysely<Database>) {}

  create(input: { tenantId: string; hash: string; prefix: string; name?: string | undefined }): Promise<ApiKeyRecord> {
    return this.db.transaction().execute(async (trx) => {
      await trx.insertInto('tenant').values({ id: input.tenantId }).onConflict((oc) => oc.column('id').doNothing()).execute();
      const row = await trx
        .insertInto('apiKey')
        .values({ id: randomUUID(), tenantId: input.tenantId, keyHash: input.hash, keyPrefix: input.prefix, name: input.name ?? null })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toRecord(row);
    });
  }

  async list(options: { tenantId?: string | undefined } = {}): Promise<ApiKeyRecord[]> {
    let query = this.db.selectFrom('apiKey').selectAll().orderBy('createdAt', 'desc');
    if (options.tenantId) query = query.where('tenantId', '=', options.tenantId);
    return (await query.execute()).map(toRecord);
  }

  async revoke(idOrPrefix: string): Promise<number> {
    const byId = /^[0-9a-f-]{36}$/.test(idOrPrefix);
    const result = await this.db
      .updateTable('apiKey')
      .set({ revokedAt: sql`now()` })
      .where(byId ? 'id' : 'keyPrefix', '=', idOrPrefix)
      .where('revokedAt', 'is', null)
      .executeTakeFirst();
    return Number(result.numUpdatedRows);
  }

  async authenticate(hash: string): Promise<{ keyId: string; tenantId: string; defaultProvider: string | null } | undefined> {
    const row = await this.db
      .selectFrom('apiKey')
      .innerJoin('tenant', 'tenant.id', 'apiKey.tenantId')
      .select(['apiKey.id', 'apiKey.tenantId', 'tenant.defaultProvider'])
      .where('apiKey.keyHash', '=', hash)
      .where('apiKey.revokedAt', 'is', null)
      .executeTakeFirst();
    return row && { keyId: row.id, tenantId: row.tenantId, defaultProvider: row.defaultProvider };
  }

  async setDefaultProvider(tenantId: string, provider: string | null): Promise<boolean> {
    const result = await this.db.updateTable('tenant').set({ defaultProvider: provider }).where('id', '=', tenantId).executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }
}

function toRecord(row: Selectable<ApiKeyTable>): ApiKeyRecord {
  return { id: row.id, tenantId: row.tenantId, prefix: row.keyPrefix, name: row.name, createdAt: row.createdAt, revokedAt: row.revokedAt };
}
