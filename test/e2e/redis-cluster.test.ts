import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createRedis, keyPrefix, type RedisConnection } from '@hoist/queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpload, pollUntilSettled, uploadFile, type UploadView } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { freePort, repoRoot } from '../support/processes.js';
import { LocalRedisCluster, localRedisClusterUnavailable } from '../support/redis-cluster.js';
import { createTestDatabase } from '../support/resources.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

const FILES = ['logo.png', 'photo.jpg', 'document.pdf'];
const run = promisify(execFile);
const unavailable = localRedisClusterUnavailable();
if (unavailable) process.stderr.write(`test/e2e/redis-cluster.test.ts skipped: ${unavailable}.\n`);

/**
 * The whole stack (API, two workers, emulator) on a real Redis Cluster of three masters with a
 * replica each, set up by REDIS_CLUSTER_NODES alone: REDIS_URL points at a closed port, so nothing
 * can quietly use a single server instead.
 */
describe.skipIf(unavailable !== undefined)(unavailable ? `Hoist on a Redis Cluster — SKIPPED: ${unavailable}` : 'Hoist on a Redis Cluster', () => {
  let cluster: LocalRedisCluster;
  let stack: Stack;
  let redis: RedisConnection;
  /** A webhook receiver: the upload id of every event it was sent. */
  let receiver: Server;
  const delivered: string[] = [];
  const prefix = `cluster-${randomBytes(4).toString('hex')}`;
  let taggedPrefix = '';

  beforeAll(async () => {
    const receiverPort = await freePort();
    receiver = createServer((request, response) => {
      let body = '';
      request.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      request.on('end', () => {
        delivered.push((JSON.parse(body) as { data: { upload: { id: string } } }).data.upload.id);
        response.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(receiverPort, '127.0.0.1', resolve));
    cluster = await LocalRedisCluster.start();
    // The prefix the services derive from QUEUE_PREFIX on this cluster.
    taggedPrefix = keyPrefix(prefix, { url: 'redis://127.0.0.1:1', clusterNodes: cluster.nodes });
    stack = await Stack.launch({
      resources: {
        database: createTestDatabase,
        // The cluster goes with its keys when the test ends.
        queue: () => ({ prefix, redisUrl: 'redis://127.0.0.1:1', clear: () => Promise.resolve() }),
      },
      env: {
        REDIS_CLUSTER_NODES: cluster.nodesEnv,
        // The webhook receiver below (the API checks the address when it is registered, workers when they send).
        URL_FETCH_ALLOW: `127.0.0.1:${receiverPort}`,
        MAX_ATTEMPTS: '4',
        RETRY_BASE_DELAY_MS: '100',
        RETRY_MAX_DELAY_MS: '400',
        PROVIDER_TIMEOUT_MS: '5000',
        SHUTDOWN_TIMEOUT_MS: '5000',
      },
      // Quick repairs of what a killed master took with it (see the last test).
      workerEnv: {
        WORKER_CONCURRENCY: '4',
        RECONCILE_INTERVAL_MS: '1000',
        RECONCILE_STALE_AFTER_MS: '3000',
        WORKER_LOCK_DURATION_MS: '5000',
        // Webhook deliveries run on the cluster too (their queue and their endpoint and tenant leases).
        WEBHOOK_RELAY_INTERVAL_MS: '100',
      },
      workers: 2,
    });
    const registered = await fetch(`${stack.apiUrl}/v1/webhooks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ url: `http://127.0.0.1:${receiverPort}/hoist-events` }),
    });
    expect(registered.status).toBe(201);
    redis = createRedis({ url: 'redis://127.0.0.1:1', clusterNodes: cluster.nodes }, 'producer');
    await once(redis, 'ready');
  }, 120_000);

  afterAll(async () => {
    redis?.disconnect();
    await stack?.stop();
    await cluster?.stop();
    receiver?.closeAllConnections();
    await new Promise((resolve) => (receiver ? receiver.close(resolve) : resolve(undefined)));
  });

  /** Uploads `count` files, three at a time, calling `midway` with the ids so far once half are accepted. */
  async function uploadMany(count: number, midway?: (accepted: string[]) => Promise<unknown>): Promise<string[]> {
    const ids: string[] = [];
    let next = 0;
    let midwayRun: Promise<unknown> | undefined;
    await Promise.all(
      Array.from({ length: 3 }, async () => {
        while (next < count) {
          const file = FILES[next++ % FILES.length]!;
          const accepted = await uploadFile(stack.apiUrl, fixturePath(file));
          expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
          ids.push(accepted.body.id);
          if (midway && ids.length === Math.ceil(count / 2)) midwayRun = midway([...ids]);
        }
      }),
    );
    await midwayRun;
    return ids;
  }

  async function countUnfinished(ids: string[]): Promise<number> {
    const uploads = await Promise.all(ids.map((id) => getUpload(stack.apiUrl, id)));
    return uploads.filter((upload) => upload.status === 'queued' || upload.status === 'processing').length;
  }

  /** Every upload succeeded, and the provider holds exactly one asset for each, written once. */
  function expectEachStoredOnce(ids: string[]): Promise<void> {
    return expectEachStored(ids, { exactlyOnce: true });
  }

  async function expectEachStored(ids: string[], { exactlyOnce }: { exactlyOnce: boolean }): Promise<void> {
    const settled = await Promise.all(ids.map((id) => pollUntilSettled(stack.apiUrl, id, 90_000)));
    expect(settled.filter((upload) => upload.status !== 'succeeded'), stack.logs()).toEqual([]);
    const { assets } = (await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string; writes: number }> };
    const ours = assets.filter((asset) => ids.some((id) => asset.public_id === `default/${id}`));
    expect(ours).toHaveLength(ids.length);
    if (exactlyOnce) expect(ours.filter((asset) => asset.writes !== 1)).toEqual([]);
  }

  it('takes uploads to succeeded, with every key of the deployment under its hash tag', async () => {
    await stack.setFaults({ latencyMs: 20 });
    const ids = await uploadMany(12);
    await expectEachStoredOnce(ids);
    // Each upload's webhook event, delivered once through the cluster's webhook queue.
    await waitFor(async () => Promise.resolve(ids.every((id) => delivered.includes(id)) ? true : undefined), { timeoutMs: 15_000, what: 'a webhook event for every upload' });
    expect(delivered.filter((id) => ids.includes(id))).toHaveLength(ids.length);
    // Both services' readiness probes reach the cluster.
    for (const base of [stack.apiUrl, `http://127.0.0.1:${stack.workerMetricsPorts[0]}`]) {
      expect(await (await fetch(`${base}/readyz`)).json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
    }
    // The queues, the provider throttle and the tenant rate limit all live on the cluster, in one slot.
    const slot = Number(await redis.call('CLUSTER', 'KEYSLOT', taggedPrefix));
    for (const key of [`${taggedPrefix}:uploads:meta`, `${taggedPrefix}:webhooks:meta`, `${taggedPrefix}:hoist:throttle:cloudinary`, `${taggedPrefix}:rate-limit:tenant:default`]) {
      expect(await redis.exists(key), key).toBe(1);
      expect(Number(await redis.call('CLUSTER', 'KEYSLOT', key))).toBe(slot);
    }
  }, 90_000);

  it('answers a long-poll as soon as the worker finishes, announced over the cluster’s pub/sub', async () => {
    await stack.setFaults({ latencyMs: 1_500 });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    const startedAt = Date.now();
    const response = await fetch(`${stack.apiUrl}/v1/uploads/${accepted.body.id}?wait=20`);
    const took = Date.now() - startedAt;
    expect(((await response.json()) as UploadView).status).toBe('succeeded');
    // As in long-poll.test.ts: the API re-reads Postgres only every 3 s, so an answer well before
    // that came from the worker's announcement.
    expect(took).toBeLessThan(2_800);
  });

  it('lets the CLI read the same queues from the cluster', async () => {
    const { stdout } = await run(process.execPath, [join(repoRoot, 'apps/cli/dist/main.js'), 'queue', 'counts', '--json'], { env: { PATH: process.env.PATH ?? '', ...stack.env }, timeout: 20_000 });
    const [uploads] = JSON.parse(stdout) as Array<{ name: string; counts: Record<string, number> }>;
    // The thirteen uploads of the tests before.
    expect(uploads).toMatchObject({ name: 'uploads', counts: { completed: 13, failed: 0 } });
  });

  it('loses and repeats nothing when the master holding the queue fails over mid-run', async () => {
    // Slow enough that jobs are waiting, running and finishing while the master changes.
    await stack.setFaults({ latencyMs: 250 });
    const before = await cluster.shardOf(taggedPrefix);
    let failover: { from: number; to: number } | undefined;
    let unfinishedAtFailover = 0;
    const ids = await uploadMany(30, async (accepted) => {
      unfinishedAtFailover = await countUnfinished(accepted);
      failover = await cluster.failover(taggedPrefix);
    });
    expect(failover).toEqual({ from: before.master, to: before.replicas[0] });
    expect((await cluster.shardOf(taggedPrefix)).master).toBe(failover?.to);
    // The failover happened mid-run: jobs were waiting or running when it began, and more uploads
    // came in while it ran.
    expect(unfinishedAtFailover).toBeGreaterThan(0);
    await expectEachStoredOnce(ids);
    expect(stack.logs()).not.toMatch(/CROSSSLOT/);
  }, 120_000);

  it('loses no upload when that master is killed, and stores each one as one asset', async () => {
    await stack.setFaults({ latencyMs: 250 });
    let crash: { from: number; to: number } | undefined;
    let unfinishedAtCrash = 0;
    const ids = await uploadMany(30, async (accepted) => {
      unfinishedAtCrash = await countUnfinished(accepted);
      crash = await cluster.killMaster(taggedPrefix);
    });
    expect(crash?.to).not.toBe(crash?.from);
    expect(unfinishedAtCrash).toBeGreaterThan(0);
    // What the dead master had not yet passed on is repaired from Postgres (the reconciler), so an
    // upload may be sent to the provider twice; it is still one asset, stored under its own id.
    await expectEachStored(ids, { exactlyOnce: false });
  }, 150_000);
});
