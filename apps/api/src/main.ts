import { loadConfig, tempStorageLocation } from '@hoist/config';
import { connectDatabase, KyselyApiKeyRepository, KyselyUploadRepository, KyselyWebhookRepository, pingDatabase } from '@hoist/db';
import { createLogger, LOG_MESSAGES } from '@hoist/logger';
import { openProviders, providerCatalog } from '@hoist/providers';
import { HoistMetrics } from '@hoist/metrics';
import { BullJobQueue, createRedis, keyPrefix, openQueues, pingRedis, queueGaugeSource, RedisLeases, RedisUploadEvents, RedisUploadLocks } from '@hoist/queue';
import { relayOutbox } from '@hoist/core';
import { onShutdownSignal, runMain, startPeriodic, within } from '@hoist/runtime';
import { describeTempStorageLocation, openTempStorage, openTusStore } from '@hoist/temp-storage';
import { buildApp } from './app.js';
import { followSubscription, UploadViewCache } from './upload-view-cache.js';
import { expireTusUploads } from './routes/tus.js';

const config = loadConfig();
const logger = createLogger({ name: 'api', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
// One Redis server, or a Redis Cluster (REDIS_CLUSTER_NODES), where the key prefix becomes a hash tag.
const redisEndpoint = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
const queuePrefix = keyPrefix(config.QUEUE_PREFIX, redisEndpoint);

runMain('api', logger, async () => {
  const db = await connectDatabase({ url: config.DATABASE_URL, applicationName: 'hoist-api' });
  const redis = createRedis(redisEndpoint, 'producer');
  const queue = new BullJobQueue({ connection: redis, prefix: queuePrefix, attempts: config.MAX_ATTEMPTS, logger });
  const tempStorage = tempStorageLocation(config);
  const storage = await openTempStorage(tempStorage);
  const uploads = new KyselyUploadRepository(db);
  // Long-polls hear of finished uploads from any worker through Redis pub/sub.
  const events = new RedisUploadEvents({ publisher: redis, prefix: queuePrefix, logger });
  const subscriber = createRedis(redisEndpoint, 'worker');
  // Status polls of finished uploads are answered from memory while announcements can reach it:
  // an announcement drops the upload's view, and the cache is off while the subscription is down.
  const viewCache = new UploadViewCache();
  events.onAnnouncement((event) => viewCache.invalidate(event.uploadId));
  // Not awaited: with Redis down at start-up the API must still start (uploads wait in the outbox);
  // the subscription is made once Redis answers, and long-polls re-read Postgres until then.
  void events
    .subscribe(subscriber)
    .then(() => followSubscription(viewCache, subscriber))
    .catch((error: unknown) => logger.warn({ err: error }, 'no upload events; long-polls and status polls re-read Postgres'));
  // Handles on every queue (uploads, webhooks), sharing the producer connection: the metrics' queue
  // gauges read them at scrape time, and the dashboard uses them (without ADMIN_TOKEN there is none).
  const queueHandles = openQueues(redis, queuePrefix, logger);

  // Resumable uploads (tus): partial bytes beside temp storage (UPLOAD_TMP_DIR/tus, or tus/ under the
  // bucket's prefix), shared by every API process like it (the temp-storage sweeper skips them: their
  // names are not temp keys); an upload's
  // requests are serialised across processes by Redis locks, whose release requests share the
  // subscriber connection.
  const tusStore = await openTusStore(tempStorage, { expirationMs: config.TUS_EXPIRATION_MS });
  const tusLocks = new RedisUploadLocks({ redis, prefix: queuePrefix, logger });
  void tusLocks.subscribe(subscriber).catch((error: unknown) => logger.warn({ err: error }, 'no tus lock release requests; a resume waits for the earlier request to end'));

  // DELETE /v1/uploads/:id destroys assets where they landed; without that provider's credentials it answers 503 and says why.
  const providers = await openProviders(config);
  if (providers.names.length === 0) logger.warn('no provider is configured: DELETE /v1/uploads/:id will answer 503');

  const app = await buildApp({
    uploads,
    queue,
    storage,
    providers: providerCatalog(config),
    providerRoster: providers,
    urlFetchAllow: config.URL_FETCH_ALLOW,
    checks: { postgres: () => pingDatabase(db), redis: () => pingRedis(redis) },
    logger,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    allowedContentTypes: config.ALLOWED_CONTENT_TYPES,
    allowActiveSvg: config.ALLOW_ACTIVE_SVG,
    auth: { mode: config.AUTH, apiKeys: new KyselyApiKeyRepository(db) },
    webhooks: new KyselyWebhookRepository(db),
    waitForChange: (uploadId, timeoutMs, signal) => events.next(uploadId, timeoutMs, signal),
    viewCache,
    events,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    metrics: new HoistMetrics({ service: 'api', queues: queueHandles.map(queueGaugeSource) }),
    metricsToken: config.METRICS_TOKEN,
    limits: { requestsPerMinute: config.TENANT_RATE_LIMIT_PER_MINUTE, maxUnfinishedUploads: config.TENANT_MAX_UNFINISHED_UPLOADS, redis, keyPrefix: queuePrefix },
    streams: { leases: new RedisLeases({ redis, prefix: queuePrefix }), maxPerTenant: config.TENANT_MAX_STREAMS, recheckMs: config.STREAM_AUTH_RECHECK_MS },
    admin: config.ADMIN_TOKEN ? { token: config.ADMIN_TOKEN, queues: queueHandles, readOnly: config.ADMIN_READ_ONLY } : undefined,
    tus: { datastore: tusStore, locker: tusLocks },
    uploadPage: config.UPLOAD_PAGE === 'on',
    corsOrigins: config.CORS_ORIGINS,
  });
  if (config.UPLOAD_PAGE === 'on') logger.info({ path: '/upload' }, 'upload page enabled at /upload');
  if (config.CORS_ORIGINS.length > 0) logger.info({ origins: config.CORS_ORIGINS }, 'CORS: these origins may call /v1 from a browser');
  if (config.ADMIN_TOKEN) logger.info({ path: '/admin/queues', readOnly: config.ADMIN_READ_ONLY }, 'queue dashboard enabled at /admin/queues');
  else logger.info('queue dashboard disabled: set ADMIN_TOKEN to serve it at /admin/queues');
  if (config.AUTH === 'off') logger.warn('AUTH=off: no API keys are checked and every upload belongs to the tenant "default" — for local development only');

  // Uploads accepted while Redis was down wait in the outbox; this relays them once it is back.
  const relay = startPeriodic({
    name: 'outbox relay',
    intervalMs: 2_000,
    logger,
    task: () => relayOutbox({ uploads, queue, storage, logger }),
  });

  // Abandoned tus uploads: their partial bytes go, and their rows end `failed` (upload_expired).
  const tusExpiry = startPeriodic({
    name: 'tus expiry',
    intervalMs: config.TUS_EXPIRY_INTERVAL_MS,
    logger,
    task: () => expireTusUploads({ datastore: tusStore, uploads, logger }, config.TUS_EXPIRATION_MS),
  });

  onShutdownSignal(logger, async (signal) => {
    logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down: finishing in-flight requests');
    // Uploads in progress get SHUTDOWN_TIMEOUT_MS to finish; after that the process exits anyway.
    setTimeout(() => {
      logger.warn('shutdown timed out; exiting with requests still open');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS).unref();
    await app.close();
    await relay.stop();
    await tusExpiry.stop();
    // Closing a subscription or a queue waits for Redis; during an outage it never would.
    await within(Promise.all(queueHandles.map((q) => q.close())), 2_000);
    await within(events.close(), 1_000);
    subscriber.disconnect();
    await within(queue.close(), 2_000);
    redis.disconnect();
    await db.destroy();
  });

  await app.listen({ host: config.HOST, port: config.PORT });
  logger.info({ tempStorage: describeTempStorageLocation(tempStorage), maxUploadBytes: config.MAX_UPLOAD_BYTES, queuePrefix }, LOG_MESSAGES.apiReady);
});
