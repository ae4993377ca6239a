import { sql, type Kysely } from 'kysely';
import { up as createUploadUnderCap } from './0015-create-upload-under-cap.js';

// Frozen in time: a migration never imports application code.

/**
 * Several providers (issue 14): each upload records the provider it was sent to, chosen when it was
 * accepted. Every upload before this migration went to Cloudinary, the only provider there was, so
 * existing rows say so. The column keeps that default, and the function reads a missing provider as
 * it, so API processes still running the code before this migration (a rolling deploy) go on
 * creating uploads — as Cloudinary's, which is what they are; current code always names the
 * provider. A tenant may name its own default provider. `hoist_create_upload` (0015) lists the
 * columns it inserts, so it is replaced to insert the provider too; otherwise unchanged.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table upload add column provider text not null default 'cloudinary' check (provider ~ '^[a-z][a-z0-9-]{0,31}$')`.execute(db);
  await sql`alter table tenant add column default_provider text check (default_provider ~ '^[a-z][a-z0-9-]{0,31}$')`.execute(db);
  await sql`
    create or replace function hoist_create_upload(p_row jsonb, p_max_unfinished integer, p_lock integer, p_lock_timeout text)
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
          insert into upload (id, tenant_id, status, filename, bytes, content_type, sha256, storage_key, public_id, provider, tags, metadata, resource_type, eager, result, source_url)
          select r.id, r.tenant_id, r.status, r.filename, r.bytes, r.content_type, r.sha256, r.storage_key, r.public_id, coalesce(r.provider, 'cloudinary'), r.tags, r.metadata, r.resource_type, r.eager, r.result, r.source_url
          from jsonb_populate_record(null::upload, p_row) as r
          returning *
        )
        select inserted::upload, open_before + 1 from inserted;
    end
    $$
  `.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // The function returns the row type, which has the column: dropped first, then 0015's restored.
  await sql`drop function if exists hoist_create_upload(jsonb, integer, integer, text)`.execute(db);
  await sql`alter table tenant drop column if exists default_provider`.execute(db);
  await sql`alter table upload drop column if exists provider`.execute(db);
  await createUploadUnderCap(db);
}
