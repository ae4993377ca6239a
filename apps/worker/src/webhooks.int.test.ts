import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newUploadId, relayWebhooks, repairWebhookJobs, verifyWebhookSignature, type WebhookEventType, type WebhookJobQueue } from '@hoist/core';
import { AdvisoryLockRunner, KyselyUploadRepository, KyselyWebhookRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { HoistMetrics } from '@hoist/metrics';
import { BullWebhookQueue, createRedis, type Redis } from '@hoist/queue';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { waitFor } from '../../../test/support/wait.js';
import { startWebhookService } from './webhooks.js';

// The relay and the delivery worker against real Postgres and Redis, delivering to a receiver on
// 127.0.0.1 (allowlisted, as URL_FETCH_ALLOW would).

const logger = createLogger({ name: 'webhooks-test', level: process.env.TEST_LOG ?? 'silent', format: 'json' });
const { db } = useTestDatabase();
let uploads: KyselyUploadRepository;
let webhooks: KyselyWebhookRepository;
let producer: Redis;
let connection: Redis;
let prefix: string;
let receiver: Server;
let receiverUrl = '';
/** What the receiver answers next; default 204. */
let answer = 204;
const received: Array<{ body: string; headers: Record<string, string | string[] | undefined> }> = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const queuePrefix = createQueuePrefix();
  prefix = queuePrefix.prefix;
  uploads = new KyselyUploadRepository(db);
  webhooks = new KyselyWebhookRepository(db);
  producer = createRedis(queuePrefix.redisUrl, 'producer');
  connection = createRedis(queuePrefix.redisUrl, 'worker');
  receiver = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ body: Buffer.concat(chunks).toString(), headers: req.headers });
      res.writeHead(answer).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  receiverUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
  await db.insertInto('tenant').values({ id: 'acme' }).execute();
  cleanups.push(async () => {
    await new Promise((resolve) => receiver.close(resolve));
    producer.disconnect();
    connection.disconnect();
    await queuePrefix.clear();
  });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const allow = () => [new URL(receiverUrl).host];

async function endpoint(url = receiverUrl, events: WebhookEventType[] = ['upload.succeeded', 'upload.failed']) {
  return webhooks.createEndpoint({ id: newUploadId(), tenantId: 'acme', url, events, secret: `whsec_${newUploadId()}` });
}

async function succeededUpload(): Promise<string> {
  const id = newUploadId();
  await uploads.create({ id, tenantId: 'acme', filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'a'.repeat(64), storageKey: `k-${id}`, publicId: id, provider: 'cloudinary', tags: [] });
  await uploads.markSucceeded((await uploads.claim(id))!, { provider: 'cloudinary', publicId: id, url: 'http://x', secureUrl: 'https://x', format: 'png', width: 1, height: 1, bytes: 1, version: 1 });
  return id;
}

function service(overrides: Partial<Parameters<typeof startWebhookService>[0]> = {}) {
  const started = startWebhookService({
    webhooks,
    connection,
    producer,
    prefix,
    logger,
    exclusive: new AdvisoryLockRunner(db),
    allow: allow(),
    maxAttempts: 3,
    retry: { baseMs: 100, maxMs: 200 },
    timeoutMs: 2_000,
    concurrency: 4,
    relayIntervalMs: 100,
    repairIntervalMs: 0,
    repairStaleAfterMs: 60_000,
    retentionDays: 0,
    ...overrides,
  });
  cleanups.push(async () => {
    await started.stop(1_000);
  });
  return started;
}

describe('webhook relay and delivery', () => {
  it('delivers a succeeded upload once, signed, and records the attempt; a 503 is retried until it succeeds, and metrics count each attempt', async () => {
    const target = await endpoint();
    const before = received.length;
    answer = 503;
    const metrics = new HoistMetrics({ service: 'worker', defaultMetrics: false });
    const running = service({ observer: metrics.webhookObserver });
    const uploadId = await succeededUpload();

    await waitFor(() => Promise.resolve(received.length >= before + 2 ? true : undefined), { timeoutMs: 10_000, what: 'two attempts' });
    answer = 204;
    const [delivery] = await waitFor(
      async () => {
        const list = await webhooks.listDeliveries(target.id, { limit: 10 });
        return list[0]?.status === 'succeeded' ? list : undefined;
      },
      { timeoutMs: 10_000, what: 'the delivery to succeed' },
    );
    expect(delivery).toMatchObject({ uploadId, eventType: 'upload.succeeded', status: 'succeeded' });
    expect(delivery!.attempts.map((a) => [a.attempt, a.statusCode, a.succeeded])).toEqual([
      [1, 503, false],
      [2, 503, false],
      [3, 204, true],
    ]);
    const mine = received.slice(before);
    expect(mine).toHaveLength(3);
    const ids = new Set(mine.map((r) => r.headers['hoist-event-id']));
    expect(ids.size).toBe(1);
    for (const request of mine) {
      expect(verifyWebhookSignature(request.headers['hoist-signature'] as string, request.body, (await webhooks.findDeliveryWork(delivery!.id))!.endpoint.secret)).toBeUndefined();
      expect(JSON.parse(request.body)).toMatchObject({ type: 'upload.succeeded', data: { upload: { id: uploadId, status: 'succeeded' } } });
    }
    const { body } = await metrics.expose();
    const sample = (line: RegExp) => Number(body.split('\n').find((l) => line.test(l))?.split(' ').at(-1) ?? 0);
    expect(sample(/^hoist_webhook_deliveries_total\{.*outcome="retrying"/)).toBe(2);
    expect(sample(/^hoist_webhook_deliveries_total\{.*outcome="delivered"/)).toBe(1);
    expect(sample(/^hoist_webhook_deliveries_total\{.*outcome="failed"/)).toBe(0);
    expect(sample(/^hoist_webhook_delivery_duration_seconds_count\{.*outcome="retrying"/)).toBe(2);
    expect(sample(/^hoist_webhook_delivery_duration_seconds_count\{.*outcome="delivered"/)).toBe(1);
    await running.stop(1_000);
  });

  it('keeps deliveries in the outbox while Redis refuses them, and enqueues them when it is back', async () => {
    const target = await endpoint('https://hooks.example.com/in');
    await succeededUpload();
    const down: WebhookJobQueue = {
      enqueueDelivery: () => Promise.reject(new Error('Redis did not accept the job within 5000 ms')),
      deliveryJobState: () => Promise.reject(new Error('down')),
      removeFinishedDelivery: () => Promise.reject(new Error('down')),
    };
    await expect(relayWebhooks({ webhooks, queue: down, logger })).rejects.toThrow(/Redis/);
    const [delivery] = await webhooks.listDeliveries(target.id, { limit: 1 });
    expect(await webhooks.listUnenqueuedDeliveries(100)).toContain(delivery!.id);

    const queue = new BullWebhookQueue({ connection: producer, prefix: `${prefix}:outbox`, attempts: 1 });
    cleanups.push(() => queue.close());
    await relayWebhooks({ webhooks, queue, logger });
    expect(await webhooks.listUnenqueuedDeliveries(100)).not.toContain(delivery!.id);
    expect(await queue.deliveryJobState(delivery!.id)).toBe('live');

    // Redis loses the job (flush, failover): the repair puts it back.
    await queue.queue.obliterate({ force: true });
    expect(await queue.deliveryJobState(delivery!.id)).toBe('missing');
    const repaired = await repairWebhookJobs({ webhooks, queue, logger }, { staleAfterMs: 0, now: new Date(Date.now() + 1_000) });
    expect(repaired.requeued).toBeGreaterThanOrEqual(1);
    expect(await queue.deliveryJobState(delivery!.id)).toBe('live');
  });

  it('deletes finished events once older than WEBHOOK_RETENTION_DAYS, and keeps newer ones', async () => {
    const target = await endpoint('https://hooks.example.com/kept', ['upload.succeeded']);
    const [oldId, newId] = [await succeededUpload(), await succeededUpload()];
    await relayWebhooks({ webhooks, queue: { enqueueDelivery: () => Promise.resolve(), deliveryJobState: () => Promise.resolve('live'), removeFinishedDelivery: () => Promise.resolve() }, logger });
    // Finish every delivery of both events (the endpoints of earlier tests get them too).
    const events = db.selectFrom('webhookEvent').select('id').where('uploadId', 'in', [oldId, newId]);
    await db.updateTable('webhookDelivery').set({ status: 'failed', completedAt: new Date() }).where('eventId', 'in', events).execute();
    await sql`update webhook_event set created_at = now() - interval '2 days' where upload_id = ${oldId}`.execute(db);

    const running = service({ retentionDays: 1, pruneIntervalMs: 100 });
    try {
      // A prune deletes the deliveries, then (a statement later) their events: wait for both.
      const remaining = () => db.selectFrom('webhookEvent').select('uploadId').where('uploadId', 'in', [oldId, newId]).execute();
      await waitFor(async () => ((await webhooks.listDeliveries(target.id, { limit: 10 })).length === 1 && (await remaining()).length === 1 ? true : undefined), {
        timeoutMs: 10_000,
        what: 'the old delivery and event to be pruned',
      });
      expect((await webhooks.listDeliveries(target.id, { limit: 10 })).map((d) => d.uploadId)).toEqual([newId]);
      expect(await remaining()).toEqual([{ uploadId: newId }]);
    } finally {
      // Also when an expectation fails: a service left running would deliver the next test's events.
      await running.stop(1_000);
    }
  });

  it('fails a delivery at once, without sending, when its URL reaches an address the policy refuses', async () => {
    // Registered while allowlisted; the allowlist no longer has it when the event is delivered.
    const target = await endpoint(receiverUrl.replace('/hook', '/refused'));
    const before = received.length;
    const running = service({ allow: [] });
    await succeededUpload();
    const [delivery] = await waitFor(
      async () => {
        const list = await webhooks.listDeliveries(target.id, { limit: 10 });
        return list[0]?.status === 'failed' ? list : undefined;
      },
      { timeoutMs: 10_000, what: 'the delivery to fail' },
    );
    expect(delivery!.attempts).toEqual([expect.objectContaining({ attempt: 1, statusCode: null, succeeded: false, error: expect.stringMatching(/loopback/) })]);
    try {
      expect(received.slice(before).filter((r) => r.body.includes(delivery!.eventId))).toEqual([]);
    } finally {
      await running.stop(1_000);
    }
  });
});
