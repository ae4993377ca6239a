import { TooManyWebhookEndpointsError, WebhookUrlTakenError, type DeliveryWork, type Upload, type WebhookAttempt, type WebhookDelivery, type WebhookEndpoint, type WebhookEventType, type WebhookRepository } from '@hoist/core';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { TenantLock, TENANT_LOCKS } from './tenant-lock.js';
import type { Database, UploadTable, WebhookDeliveryAttemptTable, WebhookEndpointTable } from './schema.js';
import { toUpload } from './upload.repository.js';

/** WebhookRepository on Postgres. Events are written by the `upload_webhook_event_trigger` (migration 0009), never here. */
export class KyselyWebhookRepository implements WebhookRepository {
  /** Held by every registration: the endpoint cap and one endpoint per URL. */
  private readonly registrations = new TenantLock(TENANT_LOCKS.webhookEndpoints);

  constructor(private readonly db: Kysely<Database>) {}

  createEndpoint(endpoint: Omit<WebhookEndpoint, 'createdAt'>, options: { maxPerTenant?: number | undefined } = {}): Promise<WebhookEndpoint> {
    const maxPerTenant = options.maxPerTenant ?? 0;
    // The lock, not a unique index, keeps URLs unique: tenants may already have duplicates from
    // before this rule, and a migration adding the index would fail on them.
    return this.registrations.run(this.db, endpoint.tenantId, async (trx) => {
      const existing = await trx
        .selectFrom('webhookEndpoint')
        .select('id')
        .where('tenantId', '=', endpoint.tenantId)
        .where('url', '=', endpoint.url)
        .orderBy('id')
        .limit(1)
        .executeTakeFirst();
      if (existing) throw new WebhookUrlTakenError(existing.id);
      if (maxPerTenant > 0 && (await countEndpoints(trx, endpoint.tenantId)) >= maxPerTenant) throw new TooManyWebhookEndpointsError(maxPerTenant);
      const row = await trx
        .insertInto('webhookEndpoint')
        .values({ id: endpoint.id, tenantId: endpoint.tenantId, url: endpoint.url, events: endpoint.events, secret: endpoint.secret })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toEndpoint(row);
    });
  }

  async listEndpoints(tenantId: string): Promise<WebhookEndpoint[]> {
    const rows = await this.db.selectFrom('webhookEndpoint').selectAll().where('tenantId', '=', tenantId).orderBy('id', 'desc').execute();
    return rows.map(toEndpoint);
  }

  countEndpoints(tenantId: string): Promise<number> {
    return countEndpoints(this.db, tenantId);
  }

  async findEndpoint(id: string, scope: { tenantId: string }): Promise<WebhookEndpoint | undefined> {
    const row = await this.db.selectFrom('webhookEndpoint').selectAll().where('id', '=', id).where('tenantId', '=', scope.tenantId).executeTakeFirst();
    return row && toEndpoint(row);
  }

  async deleteEndpoint(id: string, scope: { tenantId: string }): Promise<boolean> {
    const result = await this.db.deleteFrom('webhookEndpoint').where('id', '=', id).where('tenantId', '=', scope.tenantId).executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  async listDeliveries(endpointId: string, page: { limit: number; beforeId?: string | undefined }): Promise<WebhookDelivery[]> {
    let query = this.db
      .selectFrom('webhookDelivery as d')
      .innerJoin('webhookEvent as e', 'e.id', 'd.eventId')
      .select(['d.id', 'd.endpointId', 'd.eventId', 'e.type', 'e.uploadId', 'd.status', 'd.createdAt', 'd.updatedAt', 'd.completedAt'])
      .where('d.endpointId', '=', endpointId);
    if (page.beforeId) query = query.where('d.id', '<', page.beforeId);
    const rows = await query.orderBy('d.id', 'desc').limit(page.limit).execute();
    if (rows.length === 0) return [];
    const attempts = await this.db
      .selectFrom('webhookDeliveryAttempt')
      .selectAll()
      .where(
        'deliveryId',
        'in',
        rows.map((row) => row.id),
      )
      .orderBy('deliveryId')
      .orderBy('attempt')
      .execute();
    const byDelivery = Map.groupBy(attempts, (attempt) => attempt.deliveryId);
    return rows.map((row) => ({
      id: row.id,
      endpointId: row.endpointId,
      eventId: row.eventId,
      eventType: row.type as WebhookEventType,
      uploadId: row.uploadId,
      status: row.status,
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
      completedAt: row.completedAt,
      attempts: (byDelivery.get(row.id) ?? []).map(toAttempt),
    }));
  }

  relayEvents(options: { limit: number; newId: () => string; maxEndpointsPerTenant?: number | undefined }): Promise<{ events: number; deliveries: number }> {
    return this.db.transaction().execute(async (trx) => {
      // SKIP LOCKED: a relay in another process takes the next events instead of waiting for these.
      const events = await trx
        .selectFrom('webhookEvent')
        .select(['id', 'tenantId', 'type', 'createdAt'])
        .where('relayedAt', 'is', null)
        .orderBy('createdAt')
        .limit(options.limit)
        .forUpdate()
        .skipLocked()
        .execute();
      if (events.length === 0) return { events: 0, deliveries: 0 };
      const tenants = [...new Set(events.map((event) => event.tenantId))];
      const perTenant = options.maxEndpointsPerTenant ?? 0;
      // Each tenant's oldest endpoints only (ids are time-ordered), so one event fans out to at most
      // `perTenant` URLs even for a tenant whose endpoints pre-date the cap.
      const ranked = trx
        .selectFrom('webhookEndpoint')
        .select(['id', 'tenantId', 'events', 'createdAt', sql<string>`row_number() over (partition by tenant_id order by id)`.as('rank')])
        .where('tenantId', 'in', tenants);
      const endpoints = await trx
        .selectFrom(ranked.as('ranked'))
        .select(['id', 'tenantId', 'events', 'createdAt'])
        .$if(perTenant > 0, (query) => query.where('rank', '<=', String(perTenant)))
        .orderBy('id')
        .execute();
      // Each event goes to the endpoints of its tenant that subscribe to its type and already
      // existed when it happened.
      const deliveries = events.flatMap((event) =>
        endpoints
          .filter((endpoint) => endpoint.tenantId === event.tenantId && endpoint.events.includes(event.type) && endpoint.createdAt <= event.createdAt)
          .map((endpoint) => ({ id: options.newId(), eventId: event.id, endpointId: endpoint.id })),
      );
      if (deliveries.length > 0) {
        await trx
          .insertInto('webhookDelivery')
          .values(deliveries)
          .onConflict((oc) => oc.columns(['eventId', 'endpointId']).doNothing())
          .execute();
      }
      await trx
        .updateTable('webhookEvent')
        .set({ relayedAt: sql`now()` })
        .where(
          'id',
          'in',
          events.map((event) => event.id),
        )
        .execute();
      return { events: events.length, deliveries: deliveries.length };
    });
  }

  async listUnenqueuedDeliveries(limit: number): Promise<string[]> {
    const rows = await this.db
      .selectFrom('webhookDelivery')
      .select('id')
      .where('status', '=', 'pending')
      .where('enqueuedAt', 'is', null)
      .orderBy('createdAt')
      .limit(limit)
      .execute();
    return rows.map((row) => row.id);
  }

  async deliveryBacklogs(ids: readonly string[]): Promise<Array<{ id: string; tenantId: string; backlog: number }>> {
    if (ids.length === 0) return [];
    // One count per tenant in the batch, not per delivery.
    const { rows } = await sql<{ id: string; tenantId: string; backlog: string }>`
      with batch as (
        select d.id, e.tenant_id from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
        where d.id = any(${[...ids]}::uuid[])
      ), backlog as (
        select e.tenant_id, count(*) as backlog
        from webhook_delivery d join webhook_endpoint e on e.id = d.endpoint_id
        where d.status = 'pending' and e.tenant_id in (select tenant_id from batch)
        group by e.tenant_id
      )
      select batch.id, batch.tenant_id as "tenantId", coalesce(backlog.backlog, 0) as backlog
      from batch left join backlog on backlog.tenant_id = batch.tenant_id
    `.execute(this.db);
    return rows.map((row) => ({ id: row.id, tenantId: row.tenantId, backlog: Number(row.backlog) }));
  }

  async markDeliveryEnqueued(id: string): Promise<void> {
    await this.db.updateTable('webhookDelivery').set({ enqueuedAt: sql`now()` }).where('id', '=', id).where('enqueuedAt', 'is', null).execute();
  }

  async listStalePendingDeliveries(options: { before: Date; limit: number; afterId?: string | undefined }): Promise<string[]> {
    let query = this.db
      .selectFrom('webhookDelivery')
      .select('id')
      .where('status', '=', 'pending')
      .where('enqueuedAt', 'is not', null)
      .where('updatedAt', '<', options.before);
    if (options.afterId) query = query.where('id', '>', options.afterId);
    const rows = await query.orderBy('id').limit(options.limit).execute();
    return rows.map((row) => row.id);
  }

  async findDeliveryWork(id: string): Promise<DeliveryWork | undefined> {
    const row = await this.db
      .selectFrom('webhookDelivery as d')
      .innerJoin('webhookEndpoint as en', 'en.id', 'd.endpointId')
      .innerJoin('webhookEvent as ev', 'ev.id', 'd.eventId')
      .select([
        'd.id',
        'd.status',
        'd.attempts',
        'en.id as endpointId',
        'en.url',
        'en.secret',
        'ev.id as eventId',
        'ev.tenantId',
        'ev.type',
        'ev.uploadId',
        'ev.upload',
        'ev.createdAt as eventCreatedAt',
      ])
      .where('d.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    return {
      deliveryId: row.id,
      status: row.status,
      attempts: row.attempts,
      endpoint: { id: row.endpointId, url: row.url, secret: row.secret },
      event: {
        id: row.eventId,
        tenantId: row.tenantId,
        type: row.type as WebhookEventType,
        uploadId: row.uploadId,
        upload: snapshotToUpload(row.upload),
        createdAt: row.eventCreatedAt,
      },
    };
  }

  async startAttempt(id: string): Promise<number | undefined> {
    const row = await this.db
      .updateTable('webhookDelivery')
      .set({ attempts: sql`attempts + 1`, updatedAt: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .returning('attempts')
      .executeTakeFirst();
    return row?.attempts;
  }

  recordAttempt(id: string, attempt: WebhookAttempt, final?: 'succeeded' | 'failed'): Promise<void> {
    return this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('webhookDeliveryAttempt')
        .values({ deliveryId: id, ...attempt })
        .onConflict((oc) => oc.columns(['deliveryId', 'attempt']).doNothing())
        .execute();
      await finish(trx, id, final);
    });
  }

  async markDeliveryFailed(id: string): Promise<boolean> {
    const result = await this.db
      .updateTable('webhookDelivery')
      .set({ status: 'failed', completedAt: sql`now()`, updatedAt: sql`now()` })
      .where('id', '=', id)
      .where('status', '=', 'pending')
      .executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  async pruneFinished(options: { before: Date; limit: number }): Promise<{ events: number; deliveries: number; attempts: number }> {
    // Once an event is relayed it gets no new deliveries, and a finished delivery never becomes
    // pending again, so an event that matches `finished` keeps matching it: the three statements
    // need no transaction between them, and each holds at most `limit` row locks.
    const finished = sql<boolean>`e.created_at < ${options.before} and e.relayed_at is not null
      and not exists (select 1 from webhook_delivery p where p.event_id = e.id and p.status = 'pending')`;
    const attempts = await sql`
      delete from webhook_delivery_attempt where (delivery_id, attempt) in (
        select a.delivery_id, a.attempt from webhook_event e
        join webhook_delivery d on d.event_id = e.id
        join webhook_delivery_attempt a on a.delivery_id = d.id
        where ${finished} limit ${options.limit})`.execute(this.db);
    const deliveries = await sql`
      delete from webhook_delivery where id in (
        select d.id from webhook_event e
        join webhook_delivery d on d.event_id = e.id
        where ${finished} and not exists (select 1 from webhook_delivery_attempt a where a.delivery_id = d.id)
        limit ${options.limit})`.execute(this.db);
    const events = await sql`
      delete from webhook_event where id in (
        select e.id from webhook_event e
        where ${finished} and not exists (select 1 from webhook_delivery d where d.event_id = e.id)
        order by e.created_at limit ${options.limit})`.execute(this.db);
    return { events: Number(events.numAffectedRows ?? 0n), deliveries: Number(deliveries.numAffectedRows ?? 0n), attempts: Number(attempts.numAffectedRows ?? 0n) };
  }
}

/** How many webhook endpoints the tenant has. */
async function countEndpoints(db: Kysely<Database> | Transaction<Database>, tenantId: string): Promise<number> {
  const row = await db
    .selectFrom('webhookEndpoint')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('tenantId', '=', tenantId)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/** Ends a pending delivery (guarded), or only notes that it was touched. */
async function finish(trx: Transaction<Database>, id: string, final: 'succeeded' | 'failed' | undefined): Promise<void> {
  const update = trx.updateTable('webhookDelivery').where('id', '=', id).where('status', '=', 'pending');
  if (final) await update.set({ status: final, completedAt: sql`now()`, updatedAt: sql`now()` }).execute();
  else await update.set({ updatedAt: sql`now()` }).execute();
}

function toEndpoint(row: Selectable<WebhookEndpointTable>): WebhookEndpoint {
  return { id: row.id, tenantId: row.tenantId, url: row.url, events: row.events as WebhookEventType[], secret: row.secret, createdAt: row.createdAt };
}

function toAttempt(row: Selectable<WebhookDeliveryAttemptTable>): WebhookAttempt {
  return {
    attempt: row.attempt,
    startedAt: row.startedAt,
    durationMs: row.durationMs,
    statusCode: row.statusCode,
    error: row.error,
    succeeded: row.succeeded,
  };
}

/**
 * The trigger's `to_jsonb(upload)` → the domain Upload, through the same mapping as a row read from
 * the table, so an event shows exactly what GET /v1/uploads/:id showed at that moment. Keys may
 * arrive snake_case or already camelCased (Kysely's CamelCasePlugin maps nested objects too);
 * timestamps arrive as ISO strings.
 */
export function snapshotToUpload(snapshot: unknown): Upload {
  // Events recorded before migration 0013 have no re-claim count: none was counted then.
  const row: Record<string, unknown> = { reclaimCount: 0 };
  for (const [key, value] of Object.entries(snapshot as Record<string, unknown>)) {
    const name = key.replace(/_([a-z0-9])/g, (_match, letter: string) => letter.toUpperCase());
    row[name] = name.endsWith('At') && typeof value === 'string' ? new Date(value) : value;
  }
  return toUpload(row as unknown as Selectable<UploadTable>);
}
