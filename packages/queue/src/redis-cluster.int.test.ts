import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { describeJobQueue } from '@hoist/core/conformance';
import { createLogger } from '@hoist/logger';
import type { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalRedisCluster, localRedisClusterUnavailable } from '../../../test/support/redis-cluster.js';
import { BullJobQueue } from './bull-job-queue.js';
import { UPLOAD_QUEUE } from './jobs.js';
import { QueueAdmin } from './queue-admin.js';
import { describeQueueLossMarker } from './queue-loss-marker.conformance.js';
import { createRedis, isRedisConnectionError, keyPrefix, type RedisConnection, type RedisEndpoint } from './redis.js';
import { RedisLeases } from './redis-leases.js';
import { RedisQueueLossMarker } from './redis-queue-loss-marker.js';
import { RedisThrottle } from './redis-throttle.js';
import { RedisUploadEvents } from './redis-upload-events.js';
import { bullJobQueueFixture } from './test-support/bull-job-queue-fixture.js';

const unavailable = localRedisClusterUnavailable();
if (unavailable) process.stderr.write(`packages/queue/src/redis-cluster.int.test.ts skipped: ${unavailable}.\n`);

/**
 * Every Redis adapter of this package on a real Redis Cluster (six local redis-server processes),
 * with connections and prefixes made as the services make them from REDIS_CLUSTER_NODES.
 */
describe.skipIf(unavailable !== undefined)(unavailable ? `Redis adapters on a Redis Cluster — SKIPPED: ${unavailable}` : 'Redis adapters on a Redis Cluster', () => {
  const logger = createLogger({ name: 'cluster-test', level: 'silent', format: 'json' });
  let cluster: LocalRedisCluster;
  let endpoint: RedisEndpoint;
  let producer: RedisConnection;
  let consumer: RedisConnection;
  const closing: Array<() => Promise<unknown>> = [];
  const base = `cluster-${randomBytes(4).toString('hex')}`;
  /** A deployment's prefix as the services derive it (a hash tag on a cluster). */
  let prefixes = 0;
  const ownPrefix = () => keyPrefix(`${base}:${++prefixes}`, endpoint);

  beforeAll(async () => {
    // A master is declared dead after 5 s: longer than a producer retries (see the last test).
    cluster = await LocalRedisCluster.start({ nodeTimeoutMs: 5_000 });
    endpoint = { url: 'redis://127.0.0.1:6379', clusterNodes: cluster.nodes };
    producer = createRedis(endpoint, 'producer');
    consumer = createRedis(endpoint, 'worker');
    // A producer fails fast until the client knows the cluster's slots, as it does until a single
    // server's connection is up.
    await Promise.all([producer, consumer].map((connection) => (connection.status === 'ready' ? Promise.resolve() : once(connection, 'ready'))));
  }, 90_000);

  afterAll(async () => {
    for (const close of closing) await close();
    producer?.disconnect();
    consumer?.disconnect();
    await cluster?.stop();
  });

  describe('createRedis on a cluster', () => {
    it('gives a cluster client that reaches every master', async () => {
      expect((producer as Cluster).isCluster).toBe(true);
      // Three keys, almost surely on three different masters: each answered, none MOVED back at us.
      for (const key of ['a', 'b', 'c']) await producer.set(`${base}:${key}`, key);
      expect(await Promise.all(['a', 'b', 'c'].map((key) => producer.get(`${base}:${key}`)))).toEqual(['a', 'b', 'c']);
    });
  });

  describeJobQueue('BullJobQueue on a Redis Cluster', () => Promise.resolve(bullJobQueueFixture({ producer, consumer, prefix: ownPrefix(), closing })));

  describeQueueLossMarker('redis cluster', () => {
    const prefix = ownPrefix();
    return Promise.resolve({
      marker: new RedisQueueLossMarker({ redis: producer, prefix }),
      lose: async () => {
        await producer.del(`${prefix}:queue-marker`);
      },
    });
  });

  describe('Hoist’s own scripts on a cluster', () => {
    it('runs the provider throttle’s two-key scripts in one slot (no CROSSSLOT)', async () => {
      const throttle = new RedisThrottle({ redis: consumer, prefix: ownPrefix(), provider: 'cloudinary', ceiling: 50, fallbackPauseMs: 500, logger });
      await throttle.acquire();
      await throttle.succeeded({ ratePerSecond: 40 });
      const resumeAt = await throttle.limited({ resetAt: new Date(Date.now() + 300) });
      expect(resumeAt.getTime()).toBeGreaterThan(Date.now());
      expect(await throttle.rate()).toBeGreaterThan(0);
    });

    it('needs the hash tag: without it the throttle’s keys would sit in two slots, and Redis refuses the script', async () => {
      // The keys of an untagged prefix hash apart (for most prefixes; this test picks one that does).
      let untagged = `${base}:untagged`;
      for (let i = 0; (await slotOf(`${untagged}:hoist:throttle:cloudinary`)) === (await slotOf(`${untagged}:hoist:throttle:cloudinary:ok`)); i++) untagged = `${base}:untagged${i}`;
      const throttle = new RedisThrottle({ redis: consumer, prefix: untagged, provider: 'cloudinary', fallbackPauseMs: 500, logger });
      await expect(throttle.limited({})).rejects.toThrow(/CROSSSLOT/);
      const tagged = keyPrefix(untagged, endpoint);
      expect(await slotOf(`${tagged}:hoist:throttle:cloudinary`)).toBe(await slotOf(`${tagged}:hoist:throttle:cloudinary:ok`));
    });

    it('keeps leases per key', async () => {
      const leases = new RedisLeases({ redis: producer, prefix: ownPrefix() });
      const options = { limit: 1, ttlMs: 60_000 };
      expect(await leases.acquire('endpoint-1', 'a', options)).toBe(true);
      expect(await leases.acquire('endpoint-1', 'b', options)).toBe(false);
      expect(await leases.acquire('endpoint-2', 'b', options)).toBe(true);
      await leases.release('endpoint-1', 'a');
      expect(await leases.acquire('endpoint-1', 'b', options)).toBe(true);
    });

    it('delivers upload events published through one node to a subscriber on another', async () => {
      const prefix = ownPrefix();
      const subscriber = createRedis(endpoint, 'worker');
      const listening = new RedisUploadEvents({ publisher: producer, prefix, logger });
      closing.push(async () => {
        await listening.close();
        subscriber.disconnect();
      });
      await listening.subscribe(subscriber);
      const publishing = new RedisUploadEvents({ publisher: consumer, prefix, logger });
      const heard = listening.next('up_1', 5_000);
      await publishing.publish({ uploadId: 'up_1', status: 'succeeded' });
      expect(await heard).toMatchObject({ uploadId: 'up_1', status: 'succeeded' });
    });

    it('shows and steers the queues for the dashboard and the CLI', async () => {
      const prefix = ownPrefix();
      const queue = new BullJobQueue({ connection: producer, prefix, attempts: 1 });
      const admin = new QueueAdmin({ connection: producer, prefix });
      closing.push(
        () => admin.close(),
        () => queue.close(),
      );
      await queue.enqueueUpload('up_admin');
      await admin.pause(UPLOAD_QUEUE);
      expect(await admin.isPaused(UPLOAD_QUEUE)).toBe(true);
      const overview = await admin.overview();
      expect(overview.find((entry) => entry.name === UPLOAD_QUEUE)).toMatchObject({ paused: true });
    });
  });

  // Last: it kills a master (its replica serves from then on).
  describe('when a master dies', () => {
    it('a worker connection waits for its replica to take over; a producer connection fails fast, as unavailable', async () => {
      const key = `${ownPrefix()}:survivor`;
      await consumer.set(key, 'before');
      const killed = cluster.killMaster(key);
      // Until the replica is elected (after the 5 s node timeout) nothing serves the key's slot.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const [fromProducer, fromWorker] = await Promise.allSettled([producer.get(key), consumer.set(key, 'during')]);
      const { from, to } = await killed;
      expect(to).not.toBe(from);
      expect(fromProducer.status).toBe('rejected');
      expect(isRedisConnectionError((fromProducer as PromiseRejectedResult).reason)).toBe(true);
      expect(fromWorker).toEqual({ status: 'fulfilled', value: 'OK' });
      expect(await producer.get(key)).toBe('during');
    }, 60_000);
  });

  async function slotOf(key: string): Promise<number> {
    return Number(await producer.call('CLUSTER', 'KEYSLOT', key));
  }
});
