import { MAX_WEBHOOK_ENDPOINTS_PER_TENANT, monotonicIds, newUploadId, pruneWebhooks, relayWebhooks, toUploadView, TooManyWebhookEndpointsError, WebhookUrlTakenError, type NewUpload, type WebhookEventType } from '@hoist/core';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createDatabase } from './database.js';
import { KyselyUploadRepository } from './upload.repository.js';
import { KyselyWebhookRepository } from './webhook.repository.js';

const { db, url } = useTestDatabase();
const uploads = new KyselyUploadRepository(db);
const webhooks = new KyselyWebhookRepository(db);

beforeAll(async () => {
  await db.insertInto('tenant').values([{ id: 'acme' }, { id: 'globex' }, { id: 'quiet' }, { id: 'archive' }]).execute();
});

const result = { provider: 'cloudinary', publicId: 'x', url: 'http://u', secureUrl: 'https://u', format: 'png', width: 3, height: 2, bytes: 73, version: 1 };

async function newUpload(tenantId: string): Promise<string> {
  const id = newUploadId();
  const upload: NewUpload = {
    id,
    tenantId,
    filename: 'cat.png',
    bytes: 73,
    contentType: 'image/png',
    sha256: 'a'.repeat(64),
    storageKey: `key-${id}`,
    publicId: id,
    provider: 'cloudinary',
    tags: ['t'],
  };
  await uploads.create(upload);
  return id;
}

async function endpoint(tenantId: string, events: WebhookEventType[] = ['upload.succeeded', 'upload.failed', 'upload.cancelled', 'upload.deleted']) {
  const id = newUploadId();
  // A URL of its own: a tenant has one endpoint per URL.
  return webhooks.createEndpoint({ id, tenantId, url: `https://example.com/hook/${id}`, events, secret: 'whsec_test' });
}

async function eventsFor(uploadId: string) {
  return db.selectFrom('webhookEvent').select(['id', 'type', 'tenantId', 'relayedAt']).where('uploadId', '=', uploadId).orderBy('createdAt').execute();
}

async function relayAll() {
  let total = { events: 0, deliveries: 0 };
  for (;;) {
    const batch = await webhooks.relayEvents({ limit: 100, newId: monotonicIds() });
    total = { events: total.events + batch.events, deliveries: total.deliveries + batch.deliveries };
    if (batch.events === 0) return total;
  }
}

describe('the upload status trigger', () => {
  it('records one event when an upload reaches a final status, in the same transaction, and none for other changes', async () => {
    await endpoint('acme');
    const id = await newUpload('acme');
    const run = (await uploads.claim(id))!;
    expect(await eventsFor(id)).toEqual([]);
    await uploads.markSucceeded(run, result);
    // A late duplicate worker's write changes nothing, so it records nothing either.
    await uploads.markSucceeded(run, result);
    await uploads.markFailed(run, { code: 'x', message: 'late' });
    await uploads.failUnfinished(id, { code: 'x', message: 'late' });
    expect(await eventsFor(id)).toEqual([expect.objectContaining({ type: 'upload.succeeded', tenantId: 'acme', relayedAt: null })]);

    // Rolled back with the status change: a crash before commit loses both, never one.
    const other = await newUpload('acme');
    await db
      .transaction()
      .execute(async (trx) => {
        await new KyselyUploadRepository(trx).failUnfinished(other, { code: 'x', message: 'y' });
        throw new Error('crash before commit');
      })
      .catch(() => undefined);
    expect(await eventsFor(other)).toEqual([]);
    expect((await uploads.find(other))?.status).toBe('queued');
  });

  it('records failed and cancelled too', async () => {
    await endpoint('acme');
    const failed = await newUpload('acme');
    await uploads.failUnfinished(failed, { code: 'provider_rejected', message: 'no' });
    const cancelled = await newUpload('acme');
    await uploads.markCancelled(cancelled);
    expect((await eventsFor(failed)).map((e) => e.type)).toEqual(['upload.failed']);
    expect((await eventsFor(cancelled)).map((e) => e.type)).toEqual(['upload.cancelled']);
  });

  it('records upload.deleted when a finished upload is deleted, and keeps each event as it was', async () => {
    await endpoint('acme');
    const id = await newUpload('acme');
    await uploads.markSucceeded((await uploads.claim(id))!, result);
    await uploads.markDeleted(id);
    await uploads.markDeleted(id);
    expect((await eventsFor(id)).map((e) => e.type)).toEqual(['upload.succeeded', 'upload.deleted']);
    await relayAll();
    const deliveries = await db.selectFrom('webhookDelivery as d').innerJoin('webhookEvent as e', 'e.id', 'd.eventId').select(['d.id', 'e.type']).where('e.uploadId', '=', id).execute();
    const shown = await Promise.all(deliveries.map(async (d) => [d.type, toUploadView((await webhooks.findDeliveryWork(d.id))!.event.upload)] as const));
    expect(Object.fromEntries(shown.map(([type, view]) => [type, [view.status, view.deletedAt === null]]))).toEqual({
      'upload.succeeded': ['succeeded', true],
      'upload.deleted': ['deleted', false],
    });
  });

  it('records nothing for a tenant without endpoints', async () => {
    const id = await newUpload('quiet');
    await uploads.markSucceeded((await uploads.claim(id))!, result);
    expect(await eventsFor(id)).toEqual([]);
  });

  it('keeps the upload as it was when the event happened', async () => {
    await endpoint('acme');
    const id = await newUpload('acme');
    await uploads.markSucceeded((await uploads.claim(id))!, result);
    const atTheTime = toUploadView((await uploads.find(id))!);
    // Whatever happens to the row afterwards does not change the event.
    await sql`update upload set tags = '{changed}', updated_at = now() + interval '1 minute' where id = ${id}`.execute(db);

    await relayAll();
    const [delivery] = await db.selectFrom('webhookDelivery as d').innerJoin('webhookEvent as e', 'e.id', 'd.eventId').select('d.id').where('e.uploadId', '=', id).execute();
    const work = await webhooks.findDeliveryWork(delivery!.id);
    expect(toUploadView(work!.event.upload)).toEqual(atTheTime);
    expect(work!.event).toMatchObject({ type: 'upload.succeeded', uploadId: id, tenantId: 'acme' });
    expect(work!.endpoint.secret).toBe('whsec_test');
  });
});

describe('relayEvents', () => {
  it("fans each event out to the tenant's subscribed endpoints, once, however many relays run", async () => {
    const all = await endpoint('globex');
    const onlyFailed = await endpoint('globex', ['upload.failed']);
    const elsewhere = await endpoint('acme');
    const id = await newUpload('globex');
    await uploads.markSucceeded((await uploads.claim(id))!, result);

    const relays = await Promise.all([relayAll(), relayAll(), relayAll()]);
    expect(relays.reduce((sum, r) => sum + r.deliveries, 0)).toBeGreaterThanOrEqual(1);
    const deliveries = await db.selectFrom('webhookDelivery as d').innerJoin('webhookEvent as e', 'e.id', 'd.eventId').select(['d.endpointId', 'd.status']).where('e.uploadId', '=', id).execute();
    expect(deliveries).toEqual([{ endpointId: all.id, status: 'pending' }]);
    expect(deliveries.map((d) => d.endpointId)).not.toContain(onlyFailed.id);
    expect(deliveries.map((d) => d.endpointId)).not.toContain(elsewhere.id);
    expect((await eventsFor(id))[0]?.relayedAt).toBeInstanceOf(Date);
  });
});

describe('endpoint limits', () => {
  const silentLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silentLogger };

  async function tenant(): Promise<string> {
    const id = `limited-${newUploadId()}`;
    await db.insertInto('tenant').values({ id }).execute();
    return id;
  }

  it('holds the cap under concurrency: 300 simultaneous registrations against 20 make exactly 20', async () => {
    const tenantId = await tenant();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 300 }, (_, i) =>
        webhooks.createEndpoint({ id: newUploadId(), tenantId, url: `https://example.com/race/${i}`, events: ['upload.failed'], secret: 'whsec_test' }, { maxPerTenant: 20 }),
      ),
    );
    expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(20);
    expect(outcomes.filter((outcome) => outcome.status === 'rejected' && outcome.reason instanceof TooManyWebhookEndpointsError)).toHaveLength(280);
    expect(await webhooks.countEndpoints(tenantId)).toBe(20);
  });

  it('holds the cap and one endpoint per URL across processes: four repositories on pools of their own racing', async () => {
    const tenantId = await tenant();
    const pools = Array.from({ length: 4 }, () => createDatabase({ url }));
    try {
      const replicas = pools.map((pool) => new KyselyWebhookRepository(pool));
      // 60 registrations of 30 URLs (each twice, from different replicas) against a cap of 20.
      const outcomes = await Promise.allSettled(
        Array.from({ length: 60 }, (_, i) =>
          replicas[i % 4]!.createEndpoint({ id: newUploadId(), tenantId, url: `https://example.com/replicas/${i % 30}`, events: ['upload.failed'], secret: 'whsec_test' }, { maxPerTenant: 20 }),
        ),
      );
      const created = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
      expect(created).toHaveLength(20);
      expect(new Set(created.map((endpoint) => endpoint.url)).size).toBe(20);
      expect(await webhooks.countEndpoints(tenantId)).toBe(20);
    } finally {
      await Promise.all(pools.map((pool) => pool.destroy()));
    }
  });

  it('keeps one endpoint per tenant and URL, also when registered simultaneously', async () => {
    const [tenantId, other] = [await tenant(), await tenant()];
    const url = 'https://example.com/once';
    const outcomes = await Promise.allSettled(
      Array.from({ length: 10 }, () => webhooks.createEndpoint({ id: newUploadId(), tenantId, url, events: ['upload.failed'], secret: 'whsec_test' })),
    );
    const created = outcomes.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(created).toHaveLength(1);
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
    expect(refusals).toHaveLength(9);
    for (const refusal of refusals) expect(refusal).toEqual(new WebhookUrlTakenError(created[0]!.id));
    // Another tenant may use the same URL; once deleted, the URL can be registered again.
    await expect(webhooks.createEndpoint({ id: newUploadId(), tenantId: other, url, events: ['upload.failed'], secret: 'whsec_test' })).resolves.toMatchObject({ url });
    await webhooks.deleteEndpoint(created[0]!.id, { tenantId });
    await expect(webhooks.createEndpoint({ id: newUploadId(), tenantId, url, events: ['upload.failed'], secret: 'whsec_test' })).resolves.toMatchObject({ url });
  });

  it(`fans one event out to at most ${MAX_WEBHOOK_ENDPOINTS_PER_TENANT} endpoints, the oldest, even when more pre-date the cap`, async () => {
    const tenantId = await tenant();
    const ids = monotonicIds();
    // Rows written before the cap was atomic, straight into the table.
    const rows = Array.from({ length: MAX_WEBHOOK_ENDPOINTS_PER_TENANT + 5 }, (_, i) => ({ id: ids(), tenantId, url: `https://example.com/old/${i}`, events: ['upload.succeeded'], secret: 'whsec_test' }));
    await db.insertInto('webhookEndpoint').values(rows).execute();
    const id = await newUpload(tenantId);
    await uploads.markSucceeded((await uploads.claim(id))!, result);
    await relayWebhooks({ webhooks, queue: { enqueueDelivery: () => Promise.resolve(), deliveryJobState: () => Promise.resolve('missing'), removeFinishedDelivery: () => Promise.resolve() }, logger: silentLogger });
    const deliveries = await db.selectFrom('webhookDelivery as d').innerJoin('webhookEvent as e', 'e.id', 'd.eventId').select('d.endpointId').where('e.uploadId', '=', id).execute();
    expect(deliveries.map((d) => d.endpointId).sort()).toEqual(rows.slice(0, MAX_WEBHOOK_ENDPOINTS_PER_TENANT).map((row) => row.id));
  });
});

describe('deliveries', () => {
  it('counts attempts, records each, ends once, and lists newest first with their attempts', async () => {
    const target = await endpoint('globex', ['upload.cancelled']);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const id = await newUpload('globex');
      await uploads.markCancelled(id);
      ids.push(id);
    }
    await relayAll();
    expect((await webhooks.listUnenqueuedDeliveries(100)).length).toBeGreaterThanOrEqual(3);

    const [newest, middle, oldest] = await webhooks.listDeliveries(target.id, { limit: 10 });
    expect([newest?.uploadId, middle?.uploadId, oldest?.uploadId]).toEqual([...ids].reverse());
    const id = oldest!.id;
    await webhooks.markDeliveryEnqueued(id);
    expect(await webhooks.listUnenqueuedDeliveries(100)).not.toContain(id);

    const startedAt = new Date();
    expect(await webhooks.startAttempt(id)).toBe(1);
    await webhooks.recordAttempt(id, { attempt: 1, startedAt, durationMs: 12, statusCode: 503, error: null, succeeded: false });
    expect(await webhooks.startAttempt(id)).toBe(2);
    await webhooks.recordAttempt(id, { attempt: 2, startedAt, durationMs: 5, statusCode: 200, error: null, succeeded: true }, 'succeeded');
    // Finished: no more attempts, and a late "failed" changes nothing.
    expect(await webhooks.startAttempt(id)).toBeUndefined();
    expect(await webhooks.markDeliveryFailed(id)).toBe(false);
    await webhooks.recordAttempt(id, { attempt: 2, startedAt, durationMs: 5, statusCode: 500, error: null, succeeded: false }, 'failed');

    const firstPage = await webhooks.listDeliveries(target.id, { limit: 2 });
    expect(firstPage.map((d) => d.uploadId)).toEqual([ids[2], ids[1]]);
    const [last] = await webhooks.listDeliveries(target.id, { limit: 2, beforeId: firstPage[1]!.id });
    expect(last).toMatchObject({ id, status: 'succeeded', eventType: 'upload.cancelled', uploadId: ids[0], completedAt: expect.any(Date) });
    expect(last!.attempts).toEqual([
      { attempt: 1, startedAt, durationMs: 12, statusCode: 503, error: null, succeeded: false },
      { attempt: 2, startedAt, durationMs: 5, statusCode: 200, error: null, succeeded: true },
    ]);
  });

  it('lists stale pending deliveries, and drops everything of a deleted endpoint', async () => {
    const target = await endpoint('globex', ['upload.failed']);
    const id = await newUpload('globex');
    await uploads.failUnfinished(id, { code: 'x', message: 'y' });
    await relayAll();
    const [delivery] = await webhooks.listDeliveries(target.id, { limit: 1 });
    await webhooks.markDeliveryEnqueued(delivery!.id);
    expect(await webhooks.listStalePendingDeliveries({ before: new Date(Date.now() + 60_000), limit: 1000 })).toContain(delivery!.id);
    expect(await webhooks.listStalePendingDeliveries({ before: new Date(Date.now() - 60_000), limit: 1000 })).not.toContain(delivery!.id);

    expect(await webhooks.deleteEndpoint(target.id, { tenantId: 'acme' })).toBe(false);
    expect(await webhooks.findEndpoint(target.id, { tenantId: 'acme' })).toBeUndefined();
    expect(await webhooks.deleteEndpoint(target.id, { tenantId: 'globex' })).toBe(true);
    expect(await webhooks.findDeliveryWork(delivery!.id)).toBeUndefined();
    expect(await webhooks.listDeliveries(target.id, { limit: 10 })).toEqual([]);
  });
});

describe('retention', () => {
  const DAY = 86_400_000;
  const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined, child: () => silent };

  /** Rows left of each kind for these uploads' events. */
  async function left(uploadIds: string[]) {
    const events = await db.selectFrom('webhookEvent').select('id').where('uploadId', 'in', uploadIds).execute();
    const eventIds = events.map((e) => e.id);
    const deliveries = eventIds.length ? await db.selectFrom('webhookDelivery').select('id').where('eventId', 'in', eventIds).execute() : [];
    const deliveryIds = deliveries.map((d) => d.id);
    const attempts = deliveryIds.length ? await db.selectFrom('webhookDeliveryAttempt').select('attempt').where('deliveryId', 'in', deliveryIds).execute() : [];
    return { events: events.length, deliveries: deliveries.length, attempts: attempts.length };
  }

  async function attempt(deliveryId: string, final?: 'succeeded' | 'failed') {
    const n = (await webhooks.startAttempt(deliveryId))!;
    await webhooks.recordAttempt(deliveryId, { attempt: n, startedAt: new Date(), durationMs: 3, statusCode: final === 'succeeded' ? 200 : 503, error: null, succeeded: final === 'succeeded' }, final);
  }

  async function deliveriesOf(uploadId: string) {
    return db.selectFrom('webhookDelivery as d').innerJoin('webhookEvent as e', 'e.id', 'd.eventId').select(['d.id', 'd.endpointId']).where('e.uploadId', '=', uploadId).orderBy('d.endpointId').execute();
  }

  async function backdate(uploadIds: string[], days: number) {
    await sql`update webhook_event set created_at = now() - make_interval(days => ${days}) where upload_id = any(${uploadIds}::uuid[])`.execute(db);
  }

  it('deletes old events whose deliveries are all finished, with their deliveries and attempts, in batches; keeps pending, unrelayed and recent ones', async () => {
    const first = await endpoint('archive', ['upload.succeeded']);
    await endpoint('archive', ['upload.succeeded']);

    // Old and finished: three events, two deliveries each (one succeeded after a retry, one failed), three attempts per event.
    const finished: string[] = [];
    for (let i = 0; i < 3; i++) finished.push(await newUpload('archive'));
    // Old, relayed, no delivery at all (no endpoint takes upload.cancelled).
    const noDeliveries = await newUpload('archive');
    // Old, one delivery finished and one still pending.
    const stillPending = await newUpload('archive');
    // Recent and finished.
    const recent = await newUpload('archive');
    for (const id of [...finished, stillPending, recent]) await uploads.markSucceeded((await uploads.claim(id))!, result);
    await uploads.markCancelled(noDeliveries);
    await relayAll();
    for (const id of [...finished, recent]) {
      const [a, b] = await deliveriesOf(id);
      await attempt(a!.id);
      await attempt(a!.id, 'succeeded');
      await attempt(b!.id, 'failed');
    }
    const [done, pending] = await deliveriesOf(stillPending);
    await attempt(done!.id, 'succeeded');
    await attempt(pending!.id);
    // Old but not relayed yet: it has no deliveries only because the relay has not reached it.
    const unrelayed = await newUpload('archive');
    await uploads.markSucceeded((await uploads.claim(unrelayed))!, result);

    await backdate([...finished, noDeliveries, stillPending, unrelayed], 31);
    await backdate([recent], 29);
    expect(await left(finished)).toEqual({ events: 3, deliveries: 6, attempts: 9 });

    const retentionMs = 30 * DAY;
    const pruned = await pruneWebhooks({ webhooks, logger: silent }, { retentionMs, batchSize: 2 });
    expect(pruned).toEqual({ events: 4, deliveries: 6, attempts: 9 });
    expect(await left([...finished, noDeliveries])).toEqual({ events: 0, deliveries: 0, attempts: 0 });
    expect(await left([stillPending])).toEqual({ events: 1, deliveries: 2, attempts: 2 });
    expect(await left([unrelayed])).toEqual({ events: 1, deliveries: 0, attempts: 0 });
    expect(await left([recent])).toEqual({ events: 1, deliveries: 2, attempts: 3 });
    // The deliveries API shows what is left.
    expect((await webhooks.listDeliveries(first.id, { limit: 100 })).map((d) => d.uploadId).sort()).toEqual([stillPending, recent].sort());

    // Nothing more to do until the pending delivery ends; then it goes too.
    expect(await pruneWebhooks({ webhooks, logger: silent }, { retentionMs })).toEqual({ events: 0, deliveries: 0, attempts: 0 });
    await attempt(pending!.id, 'failed');
    expect(await pruneWebhooks({ webhooks, logger: silent }, { retentionMs })).toEqual({ events: 1, deliveries: 2, attempts: 3 });
    expect(await left([stillPending])).toEqual({ events: 0, deliveries: 0, attempts: 0 });
    expect(await left([unrelayed, recent])).toEqual({ events: 2, deliveries: 2, attempts: 3 });
  });

  it('never touches anything newer than the retention', async () => {
    const before = await db.selectFrom('webhookEvent').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(await pruneWebhooks({ webhooks, logger: silent }, { retentionMs: 30 * DAY })).toEqual({ events: 0, deliveries: 0, attempts: 0 });
    const after = await db.selectFrom('webhookEvent').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect(Number(after.n)).toBeGreaterThan(0);
  });
});
