import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * `hoist_create_upload`: a create under the tenant's cap on open uploads in one statement (one
 * round trip instead of begin, lock, count, insert, commit), run by the repository's `create` when
 * it has a cap and no Idempotency-Key. Called outside a transaction block, its statement is its
 * transaction: the tenant's advisory lock (the two-key lock of tenant-lock.ts, taken with the
 * given timeout) is held from before the count until the commit, and the count, a statement of a
 * VOLATILE function, sees every create committed before the lock was granted. Refuses with SQLSTATE
 * `HC001` (nothing written) at the cap; else returns the row and the tenant's open uploads, the new
 * one included. The open statuses are written out as the partial index `upload_tenant_open_idx`
 * states them, so the count uses it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`
    create function hoist_create_upload(p_row jsonb, p_max_unfinished integer, p_lock integer, p_lock_timeout text)
    returns table (created upload, open_count bigint)
    language plpgsql volatile
    as $$
    declare
      tenant text := p_row ->> 'tenant_id';
      open_before bigint;
    begin
      perform set_config('lock_timeout', p_lock_timeout, true);
      perform pg_advisory_xact_lock(p_lock, hashtext(tenant));
      select count(*) into open_before from upload where tenant_id = tenant and status in ('receiving', 'queued', 'processing');
      if open_before >= p_max_unfinished then
        raise exception 'tenant % has % open uploads', tenant, open_before using errcode = 'HC001';
      end if;
      return query
        with inserted as (
          insert into upload (id, tenant_id, status, filename, bytes, content_type, sha256, storage_key, public_id, tags, metadata, resource_type, eager, result, source_url)
          select r.id, r.tenant_id, r.status, r.filename, r.bytes, r.content_type, r.sha256, r.storage_key, r.public_id, r.tags, r.metadata, r.resource_type, r.eager, r.result, r.source_url
          from jsonb_populate_record(null::upload, p_row) as r
          returning *
        )
        select inserted::upload, open_before + 1 from inserted;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop function if exists hoist_create_upload(jsonb, integer, integer, text)`.execute(db);
}
