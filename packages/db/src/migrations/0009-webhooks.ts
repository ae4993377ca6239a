import { sql, type Kysely } from 'kysely';

// Frozen in time: a migration never imports application code.

/**
 * Webhooks: endpoints a tenant registers, the events to send them, one delivery per event and
 * endpoint, and every attempt at a delivery.
 *
 * Events are written by a trigger on `upload`, in the same transaction as the status change that
 * causes them: an event cannot be lost between "the status changed" and "someone noticed", whichever
 * process crashes, and no code that changes a status needs to know webhooks exist. A relay in the
 * workers fans unrelayed events out to deliveries (Postgres only) and then hands deliveries to the
 * queue (the delivery's own outbox, so Redis being down only delays them).
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('webhook_endpoint')
    .addColumn('id', 'uuid', (col) => col.notNull())
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('url', 'text', (col) => col.notNull())
    .addColumn('events', sql`text[]`, (col) => col.notNull())
    // The signing key. It has to be usable (HMAC), so unlike API keys it cannot be stored hashed.
    .addColumn('secret', 'text', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('webhook_endpoint_pkey', ['id'])
    .addForeignKeyConstraint('webhook_endpoint_tenant_id_fkey', ['tenant_id'], 'tenant', ['id'])
    .addCheckConstraint('webhook_endpoint_events_check', sql`cardinality(events) > 0`)
    .execute();
  await db.schema.createIndex('webhook_endpoint_tenant_id_idx').on('webhook_endpoint').columns(['tenant_id', 'id']).execute();

  await db.schema
    .createTable('webhook_event')
    .addColumn('id', 'uuid', (col) => col.notNull().defaultTo(sql`gen_random_uuid()`))
    .addColumn('tenant_id', 'text', (col) => col.notNull())
    .addColumn('type', 'text', (col) => col.notNull())
    // No foreign key: an event is a record of what happened and may outlive its upload's row.
    .addColumn('upload_id', 'uuid', (col) => col.notNull())
    // The upload row as the status change left it, so the event shows the upload as it was then,
    // not as it is when the relay gets to it (an upload may be deleted a moment after succeeding).
    .addColumn('upload', 'jsonb', (col) => col.notNull())
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    // Null until the relay has created this event's deliveries.
    .addColumn('relayed_at', 'timestamptz')
    .addPrimaryKeyConstraint('webhook_event_pkey', ['id'])
    .execute();
  await db.schema
    .createIndex('webhook_event_unrelayed_idx')
    .on('webhook_event')
    .column('created_at')
    .where(sql.ref('relayed_at'), 'is', null)
    .execute();

  await db.schema
    .createTable('webhook_delivery')
    .addColumn('id', 'uuid', (col) => col.notNull())
    .addColumn('event_id', 'uuid', (col) => col.notNull())
    .addColumn('endpoint_id', 'uuid', (col) => col.notNull())
    .addColumn('status', 'text', (col) => col.notNull().defaultTo('pending'))
    .addColumn('attempts', 'integer', (col) => col.notNull().defaultTo(0))
    .addColumn('created_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (col) => col.notNull().defaultTo(sql`now()`))
    .addColumn('completed_at', 'timestamptz')
    // Outbox: null until the delivery job is in Redis.
    .addColumn('enqueued_at', 'timestamptz')
    .addPrimaryKeyConstraint('webhook_delivery_pkey', ['id'])
    .addForeignKeyConstraint('webhook_delivery_event_id_fkey', ['event_id'], 'webhook_event', ['id'], (fk) => fk.onDelete('cascade'))
    .addForeignKeyConstraint('webhook_delivery_endpoint_id_fkey', ['endpoint_id'], 'webhook_endpoint', ['id'], (fk) => fk.onDelete('cascade'))
    // One delivery per event and endpoint, however many relays race.
    .addUniqueConstraint('webhook_delivery_event_id_endpoint_id_key', ['event_id', 'endpoint_id'])
    .addCheckConstraint('webhook_delivery_status_check', sql`status in ('pending', 'succeeded', 'failed')`)
    .addCheckConstraint('webhook_delivery_completed_at_check', sql`(status = 'pending') = (completed_at is null)`)
    .execute();
  await db.schema.createIndex('webhook_delivery_endpoint_id_idx').on('webhook_delivery').columns(['endpoint_id', 'id']).execute();
  await db.schema
    .createIndex('webhook_delivery_outbox_idx')
    .on('webhook_delivery')
    .column('created_at')
    .where(sql<boolean>`status = 'pending' and enqueued_at is null`)
    .execute();
  await db.schema
    .createIndex('webhook_delivery_pending_idx')
    .on('webhook_delivery')
    .columns(['updated_at'])
    .where(sql<boolean>`status = 'pending'`)
    .execute();

  await db.schema
    .createTable('webhook_delivery_attempt')
    .addColumn('delivery_id', 'uuid', (col) => col.notNull())
    .addColumn('attempt', 'integer', (col) => col.notNull())
    .addColumn('started_at', 'timestamptz', (col) => col.notNull())
    .addColumn('duration_ms', 'integer', (col) => col.notNull())
    // The receiver's HTTP status, when it answered at all.
    .addColumn('status_code', 'integer')
    // Why it failed when there was no usable answer (timeout, refused address, connection reset…).
    .addColumn('error', 'text')
    .addColumn('succeeded', 'boolean', (col) => col.notNull())
    .addPrimaryKeyConstraint('webhook_delivery_attempt_pkey', ['delivery_id', 'attempt'])
    .addForeignKeyConstraint('webhook_delivery_attempt_delivery_id_fkey', ['delivery_id'], 'webhook_delivery', ['id'], (fk) => fk.onDelete('cascade'))
    .execute();

  // Whenever an upload reaches a final status (including `deleted`, where that status exists), and
  // its tenant has an endpoint, record the event in the same transaction. The exists() keeps tenants
  // without webhooks from paying for them.
  await sql`
    create function webhook_event_on_upload_status() returns trigger language plpgsql as $$
    begin
      if new.status in ('succeeded', 'failed', 'cancelled', 'deleted')
        and (tg_op = 'INSERT' or old.status is distinct from new.status)
        and exists (select 1 from webhook_endpoint where tenant_id = new.tenant_id)
      then
        insert into webhook_event (tenant_id, type, upload_id, upload)
        values (new.tenant_id, 'upload.' || new.status, new.id, to_jsonb(new));
      end if;
      return null;
    end
    $$`.execute(db);
  await sql`
    create trigger upload_webhook_event_trigger
    after insert or update of status on upload
    for each row execute function webhook_event_on_upload_status()`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop trigger upload_webhook_event_trigger on upload`.execute(db);
  await sql`drop function webhook_event_on_upload_status()`.execute(db);
  await db.schema.dropTable('webhook_delivery_attempt').execute();
  await db.schema.dropTable('webhook_delivery').execute();
  await db.schema.dropTable('webhook_event').execute();
  await db.schema.dropTable('webhook_endpoint').execute();
}
