import { configuredProviders, defaultProvider, loadConfig, missingCredentials, tempStorageLocation } from '@hoist/config';
import { limitFetches, RECONCILE_CONCURRENCY } from '@hoist/core';
import { AdvisoryLockRunner, connectDatabase, KyselyUploadRepository, KyselyWebhookRepository, pingDatabase } from '@hoist/db';
import { RemoteSourceFetcher } from '@hoist/intake';
import { createLogger, LOG_MESSAGES } from '@hoist/logger';
import { openProviders } from '@hoist/providers';
import { HoistMetrics } from '@hoist/metrics';
import { BullJobQueue, createRedis, keyPrefix, openQueues, pingRedis, queueGaugeSource, RedisLeases, RedisQueueLossMarker, RedisThrottle, RedisUploadEvents } from '@hoist/queue';
import { onShutdownSignal, runMain, within } from '@hoist/runtime';
import { describeTempStorageLocation, openTempStorage } from '@hoist/temp-storage';
import { startHealthServer } from './health-server.js';
import { startReconciler } from './reconciler.js';
import { startWebhookService } from './webhooks.js';
import { buildWorker } from './worker.js';

const config = loadConfig();
const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL, format: config.LOG_FORMAT });
// One Redis server, or a Redis Cluster (REDIS_CLUSTER_NODES), where the key prefix becomes a hash tag.
const redisEndpoint = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
const queuePrefix = keyPrefix(config.QUEUE_PREFIX, redisEndpoint);

runMain('worker', logger, async () => {
  if (configuredProviders(config).length === 0) {
    // Never fall back to the emulator silently: uploads would "succeed" somewhere that is not a provider.
    throw new Error(
      'No provider is configured. Set CLOUDINARY_URL (cloudinary://KEY:SECRET@CLOUD), the IMAGEKIT_* or the CLOUDFLARE_* ' +
        'variables (see the README), or point one at the local emulator (`pnpm start` does this for you), e.g. ' +
        'CLOUDINARY_URL=cloudinary://hoist-local-key:hoist-local-secret@hoist-local?upload_prefix=http://127.0.0.1:9400',
    );
  }
  // Every upload the API sends by default, and every failover, must be one this worker can make.
  for (const [variable, provider] of [['PROVIDER', defaultProvider(config)], ['PROVIDER_FAILOVER', config.PROVIDER_FAILOVER], ['PROVIDER_MIRROR', config.PROVIDER_MIRROR]] as const) {
    const missing = provider ? missingCredentials(config, provider) : [];
    if (provider && missing.length > 0) throw new Error(`${variable} is ${provider}, but this worker has no credentials for it: set ${missing.join(', ')}.`);
  }
  const db = await connectDatabase({
    url: config.DATABASE_URL,
    applicationName: 'hoist-worker',
    // One connection per concurrent job, headroom for the abandoned-job handler, and the reconciler's
    // own (its lock plus its repairs in flight), so a reconcile never makes a job wait for one.
    maxConnections: Math.min(config.WORKER_CONCURRENCY + 2 + 1 + RECONCILE_CONCURRENCY, 60),
  });
  const redis = createRedis(redisEndpoint, 'worker');
  const tempStorage = tempStorageLocation(config);
  const storage = await openTempStorage(tempStorage);
  const uploads = new KyselyUploadRepository(db);
  const producer = createRedis(redisEndpoint, 'producer');
  const queue = new BullJobQueue({ connection: producer, prefix: queuePrefix, attempts: config.MAX_ATTEMPTS, logger });
  // Handles on every queue (uploads, webhooks) for the gauges read at scrape time.
  const gaugeQueues = openQueues(producer, queuePrefix, logger);
  const metrics = new HoistMetrics({ service: 'worker', queues: gaugeQueues.map(queueGaugeSource) });
  // Fetches never take every worker slot (one is always left for provider uploads), unless there is only one.
  const fetchSlots = Math.max(1, Math.min(config.URL_FETCH_CONCURRENCY, config.WORKER_CONCURRENCY - 1));
  const fetcher = limitFetches(
    new RemoteSourceFetcher({
      storage,
      maxBytes: config.MAX_UPLOAD_BYTES,
      allowedContentTypes: config.ALLOWED_CONTENT_TYPES,
      allowActiveSvg: config.ALLOW_ACTIVE_SVG,
      policy: { allow: config.URL_FETCH_ALLOW },
      timeoutMs: config.URL_FETCH_TIMEOUT_MS,
      minRate: config.URL_FETCH_MIN_BYTES_PER_SEC > 0 ? { bytesPerSecond: config.URL_FETCH_MIN_BYTES_PER_SEC, windowMs: config.URL_FETCH_MIN_RATE_WINDOW_MS } : undefined,
    }),
    fetchSlots,
  );
  // Each provider paces its own calls across the cluster: one provider's 429 never slows another's uploads.
  const providers = await openProviders(config, {
    logger,
    throttle: (provider) => new RedisThrottle({ redis, prefix: queuePrefix, provider, ceiling: config.PROVIDER_RATE_LIMIT, fallbackPauseMs: config.RATE_LIMIT_FALLBACK_MS, logger }),
  });
  const worker = buildWorker({
    fetcher,
    retainFailedBytes: config.FAILED_UPLOAD_RETENTION_MS > 0,
    maxReclaims: config.MAX_RECLAIMS,
    observer: metrics.observer,
    uploads,
    storage,
    providers,
    logger,
    events: new RedisUploadEvents({ publisher: producer, prefix: queuePrefix, logger }),
    connection: redis,
    prefix: queuePrefix,
    concurrency: config.WORKER_CONCURRENCY,
    retry: { baseMs: config.RETRY_BASE_DELAY_MS, maxMs: config.RETRY_MAX_DELAY_MS },
    rateLimitFallbackMs: config.RATE_LIMIT_FALLBACK_MS,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
  });

  // Webhook events: relayed from Postgres to the `webhooks` queue and delivered, signed, from here.
  const webhooks = startWebhookService({
    webhooks: new KyselyWebhookRepository(db),
    connection: redis,
    producer,
    prefix: queuePrefix,
    logger,
    exclusive: new AdvisoryLockRunner(db),
    allow: config.URL_FETCH_ALLOW,
    maxAttempts: config.WEBHOOK_MAX_ATTEMPTS,
    retry: { baseMs: config.WEBHOOK_RETRY_BASE_DELAY_MS, maxMs: config.WEBHOOK_RETRY_MAX_DELAY_MS },
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    concurrency: config.WEBHOOK_CONCURRENCY,
    endpointConcurrency: config.WEBHOOK_ENDPOINT_CONCURRENCY,
    tenantConcurrency: config.WEBHOOK_TENANT_CONCURRENCY,
    leases: new RedisLeases({ redis: producer, prefix: queuePrefix }),
    relayIntervalMs: config.WEBHOOK_RELAY_INTERVAL_MS,
    repairIntervalMs: config.RECONCILE_INTERVAL_MS,
    repairStaleAfterMs: config.RECONCILE_STALE_AFTER_MS,
    retentionDays: config.WEBHOOK_RETENTION_DAYS,
    observer: metrics.webhookObserver,
  });

  // The reconciler re-enqueues what Redis lost and sweeps orphaned temp files; one runs at a time.
  // It runs soon after start-up and at once when the queue-loss marker shows Redis lost its data.
  const reconciler =
    config.RECONCILE_INTERVAL_MS > 0
      ? startReconciler({
          uploads,
          queue,
          storage,
          logger,
          exclusive: new AdvisoryLockRunner(db),
          intervalMs: config.RECONCILE_INTERVAL_MS,
          staleAfterMs: config.RECONCILE_STALE_AFTER_MS,
          orphanAgeMs: config.TEMP_ORPHAN_AGE_MS,
          failedRetentionMs: config.FAILED_UPLOAD_RETENTION_MS,
          marker: new RedisQueueLossMarker({ redis: producer, prefix: queuePrefix }),
          lossCheckIntervalMs: config.QUEUE_LOSS_CHECK_INTERVAL_MS,
          // Deliveries live in Redis too: a loss re-enqueues theirs as well.
          onQueueLoss: () => webhooks.repairLost(),
          onReport: (report) => {
            for (const action of ['enqueued', 'requeued', 'failed', 'orphansRemoved'] as const) {
              if (report[action] > 0) metrics.reconcilerActions.inc({ action }, report[action]);
            }
          },
        })
      : undefined;

  const health =
    config.WORKER_METRICS_PORT > 0
      ? await startHealthServer({
          host: config.HOST,
          port: config.WORKER_METRICS_PORT,
          metrics,
          metricsToken: config.METRICS_TOKEN,
          checks: { postgres: () => pingDatabase(db), redis: () => pingRedis(producer) },
          logger,
        })
      : undefined;

  onShutdownSignal(logger, async (signal) => {
    logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down: no new jobs, finishing in-flight ones');
    // Last resort: whatever still hangs (a dependency that never answers), the process goes; its
    // jobs are recovered by other workers once their locks expire.
    setTimeout(() => {
      logger.warn('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS + 15_000).unref();
    // Together: waiting for a reconcile run before closing the worker would keep it taking jobs meanwhile.
    const [{ forced }] = await Promise.all([worker.close(config.SHUTDOWN_TIMEOUT_MS), webhooks.stop(config.SHUTDOWN_TIMEOUT_MS), reconciler?.stop()]);
    if (forced) logger.warn('in-flight jobs released; another worker will pick them up');
    // Each close is bounded: a scraper's keep-alive connection, a Redis that is down or a job still
    // holding a database client must not keep the process from exiting.
    await within(new Promise((resolve) => (health ? health.close(resolve) : resolve(undefined))), 2_000);
    await within(queue.close(), 2_000);
    await within(Promise.all(gaugeQueues.map((q) => q.close())), 2_000);
    producer.disconnect();
    redis.disconnect();
    await within(db.destroy(), 2_000);
  });

  logger.info(
    { providers: providers.names, concurrency: config.WORKER_CONCURRENCY, queuePrefix, tempStorage: describeTempStorageLocation(tempStorage), metricsPort: health ? config.WORKER_METRICS_PORT : null },
    LOG_MESSAGES.workerReady,
  );
  await worker.run();
});
