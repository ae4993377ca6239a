import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { newUploadId, relayWebhooks } from '@hoist/core';
import { AdvisoryLockRunner, KyselyUploadRepository, KyselyWebhookRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { HoistMetrics } from '@hoist/metrics';
import { createRedis, RedisLeases, type Redis } from '@hoist/queue';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { waitFor } from '../../../test/support/wait.js';
import { startWebhookService } from './webhooks.js';

// Noisy neighbours, webhooks: one tenant's slow receivers and many events must not delay another
// tenant's webhook. Real Postgres, Redis and receivers on 127.0.0.1.

const logger = createLogger({ name: 'webhook-fairness-test', level: process.env.TEST_LOG ?? 'silent', format: 'json' });
const { db } = useTestDatabase();
let uploads: KyselyUploadRepository;
let webhooks: KyselyWebhookRepository;
let producer: Redis;
let connection: Redis;
let prefix: string;
let receiver: Server;
let base = '';
/** Requests to /slow/* being held open right now. */
const held = new Set<ServerResponse>();
/** When each request to /fast arrived, ms since epoch. */
const fastArrivals: number[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const queuePrefix = createQueuePrefix();
  prefix = queuePrefix.prefix;
  uploads = new KyselyUploadRepository(db);
  webhooks = new KyselyWebhookRepository(db);
  producer = createRedis(queuePrefix.redisUrl, 'producer');
  connection = createRedis(queuePrefix.redisUrl, 'worker');
  receiver = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    if (req.url?.startsWith('/slow')) {
      // A receiver that takes 15 s to answer (within the delivery timeout, so it is not cut short).
      held.add(res);
      const timer = setTimeout(() => res.writeHead(204).end(), 15_000);
      res.on('close', () => {
        clearTimeout(timer);
        held.delete(res);
      });
      return;
    }
    fastArrivals.push(Date.now());
    res.writeHead(204).end();
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
  await sql`insert into tenant (id) values ('loud'), ('quiet'), ('crowd'), ('calm')`.execute(db);
  cleanups.push(async () => {
    receiver.closeAllConnections();
    await new Promise((resolve) => receiver.close(resolve));
    producer.disconnect();
    connection.disconnect();
    await queuePrefix.clear();
  });
});
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function endpoint(tenantId: string, path: string) {
  return webhooks.createEndpoint({ id: newUploadId(), tenantId, url: `${base}${path}`, events: ['upload.succeeded'], secret: `whsec_${newUploadId()}` });
}

/** An upload of `tenantId` that succeeded: the trigger records an `upload.succeeded` event for it. */
async function succeededUpload(tenantId: string): Promise<string> {
  const id = newUploadId();
  await uploads.create({ id, tenantId, filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'a'.repeat(64), storageKey: `k-${id}`, publicId: id, provider: 'cloudinary', tags: [] });
  await uploads.markSucceeded((await uploads.claim(id))!, { provider: 'cloudinary', publicId: id, url: 'http://x', secureUrl: 'https://x', format: 'png', width: 1, height: 1, bytes: 1, version: 1 });
  return id;
}

describe('webhook delivery between tenants', () => {
  it("enqueues a quiet tenant's delivery ahead of a loud tenant's backlog (fair-share priority)", async () => {
    const loud = await endpoint('loud', '/fast?loud');
    const quiet = await endpoint('quiet', '/fast?quiet');
    for (let i = 0; i < 5; i++) await succeededUpload('loud');
    await succeededUpload('quiet');
    const enqueued: Array<{ id: string; priority: number | undefined }> = [];
    const queue = {
      enqueueDelivery: (id: string, options?: { priority?: number | undefined }) => Promise.resolve(void enqueued.push({ id, priority: options?.priority })),
      deliveryJobState: () => Promise.resolve('live' as const),
      removeFinishedDelivery: () => Promise.resolve(),
    };
    await relayWebhooks({ webhooks, queue, logger });
    const priorityOf = async (endpointId: string) => {
      const ids = (await webhooks.listDeliveries(endpointId, { limit: 10 })).map((delivery) => delivery.id).reverse();
      return ids.map((id) => enqueued.find((entry) => entry.id === id)?.priority);
    };
    // The loud tenant's k-th delivery gets priority k; the quiet tenant's only one gets 1 (the first served).
    expect(await priorityOf(loud.id)).toEqual([1, 2, 3, 4, 5]);
    expect(await priorityOf(quiet.id)).toEqual([1]);
    await webhooks.deleteEndpoint(loud.id, { tenantId: 'loud' });
    await webhooks.deleteEndpoint(quiet.id, { tenantId: 'quiet' });
  });

  it("delivers a quiet tenant's webhook within seconds while a loud tenant's slow receivers hold requests open", async () => {
    await endpoint('loud', '/slow/a');
    await endpoint('loud', '/slow/b');
    await endpoint('quiet', '/fast');
    for (let i = 0; i < 10; i++) await succeededUpload('loud');
    const { service, metrics } = start({ endpointConcurrency: 1 });
    try {
      await waitFor(() => Promise.resolve(held.size >= 2 ? true : undefined), { timeoutMs: 10_000, what: 'the slow receivers to be called' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));

      const before = fastArrivals.length;
      const sentAt = Date.now();
      await succeededUpload('quiet');
      await waitFor(() => Promise.resolve(fastArrivals.length > before ? true : undefined), { timeoutMs: 5_000, what: "the quiet tenant's webhook" });
      expect(fastArrivals[before]! - sentAt).toBeLessThan(3_000);
      // One request per slow endpoint at a time, however many deliveries wait for it.
      expect(held.size).toBe(2);
      // The loud tenant's waiting deliveries spent no attempts while they waited for their endpoint.
      const { rows } = await sql<{ attempts: number }>`select max(attempts) as attempts from webhook_delivery`.execute(db);
      expect(rows[0]?.attempts).toBe(1);
      expect((await metrics.expose()).body).toMatch(/hoist_jobs_deferred_total\{[^}]*reason="endpoint_busy"[^}]*\} [1-9]/);
    } finally {
      receiver.closeAllConnections();
      await service.stop(1_000);
    }
  });

  it("delivers a quiet tenant's webhook within seconds while a tenant with many slow endpoints has events for all of them", async () => {
    // Four slow endpoints, each allowed as many requests as the worker has slots: only the tenant bound protects the others.
    for (const path of ['/slow/1', '/slow/2', '/slow/3', '/slow/4']) await endpoint('crowd', path);
    await endpoint('calm', '/fast');
    for (let i = 0; i < 3; i++) await succeededUpload('crowd');
    const { prefix: ownPrefix, clear } = createQueuePrefix();
    const { service } = start({ endpointConcurrency: 4, tenantConcurrency: 2, prefix: ownPrefix });
    try {
      await waitFor(() => Promise.resolve(held.size >= 2 ? true : undefined), { timeoutMs: 10_000, what: 'the slow receivers to be called' });
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const before = fastArrivals.length;
      const sentAt = Date.now();
      await succeededUpload('calm');
      await waitFor(() => Promise.resolve(fastArrivals.length > before ? true : undefined), { timeoutMs: 5_000, what: "the calm tenant's webhook" });
      expect(fastArrivals[before]! - sentAt).toBeLessThan(3_000);
      expect(held.size).toBe(2);
    } finally {
      receiver.closeAllConnections();
      await service.stop(1_000);
      await clear();
    }
  });
});

/** The webhook service on four delivery slots, with leases in Redis and the given bounds. */
function start(options: { endpointConcurrency: number; tenantConcurrency?: number; prefix?: string }) {
  const metrics = new HoistMetrics({ service: 'worker', defaultMetrics: false });
  const ownPrefix = options.prefix ?? prefix;
  const service = startWebhookService({
    observer: metrics.webhookObserver,
    webhooks,
    connection,
    producer,
    prefix: ownPrefix,
    logger,
    exclusive: new AdvisoryLockRunner(db),
    allow: [new URL(base).host],
    maxAttempts: 3,
    retry: { baseMs: 100, maxMs: 200 },
    // Longer than the slow receivers take: they are slow, not broken.
    timeoutMs: 20_000,
    concurrency: 4,
    endpointConcurrency: options.endpointConcurrency,
    tenantConcurrency: options.tenantConcurrency,
    leases: new RedisLeases({ redis: producer, prefix: ownPrefix }),
    busyRetryMs: 500,
    relayIntervalMs: 100,
    repairIntervalMs: 0,
    repairStaleAfterMs: 60_000,
    retentionDays: 0,
  });
  return { service, metrics };
}
