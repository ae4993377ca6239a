import { loadConfig } from '@hoist/config';
import { assertSchemaCurrent, createDatabase, KyselyUploadRepository } from '@hoist/db';
import { createLogger, redactUrl } from '@hoist/logger';
import { CloudinaryProvider } from '@hoist/provider-cloudinary';
import { createRedis } from '@hoist/queue';
import { LocalTempStorage } from '@hoist/temp-storage';
import { buildWorker } from './worker.js';

const config = loadConfig();
const logger = createLogger({ name: 'worker', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

async function main(): Promise<void> {
  if (!config.CLOUDINARY_URL) {
    // Never fall back to the emulator silently: uploads would "succeed" somewhere that is not Cloudinary.
    throw new Error(
      'CLOUDINARY_URL is not set. Set it to cloudinary://KEY:SECRET@CLOUD, or to the local emulator ' +
        '(`pnpm start` does this for you): cloudinary://hoist-local-key:hoist-local-secret@hoist-local?upload_prefix=http://127.0.0.1:9400',
    );
  }
  const provider = await CloudinaryProvider.create({ url: config.CLOUDINARY_URL, timeoutMs: config.PROVIDER_TIMEOUT_MS });
  const db = createDatabase({ url: config.DATABASE_URL, applicationName: 'hoist-worker', maxConnections: Math.min(config.WORKER_CONCURRENCY + 2, 20) });
  await assertSchemaCurrent(db).catch((error: unknown) => {
    throw new Error(`Postgres at ${redactUrl(config.DATABASE_URL)}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const redis = createRedis(config.REDIS_URL, 'worker');
  const storage = await new LocalTempStorage({ directory: config.UPLOAD_TMP_DIR }).init();
  const worker = buildWorker({
    uploads: new KyselyUploadRepository(db),
    storage,
    provider,
    logger,
    connection: redis,
    prefix: config.QUEUE_PREFIX,
    concurrency: config.WORKER_CONCURRENCY,
    retry: { baseMs: config.RETRY_BASE_DELAY_MS, maxMs: config.RETRY_MAX_DELAY_MS },
    rateLimitFallbackMs: config.RATE_LIMIT_FALLBACK_MS,
    lockDurationMs: config.WORKER_LOCK_DURATION_MS,
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal, timeoutMs: config.SHUTDOWN_TIMEOUT_MS }, 'shutting down: no new jobs, finishing in-flight ones');
    void (async () => {
      const { forced } = await worker.close(config.SHUTDOWN_TIMEOUT_MS);
      if (forced) logger.warn('in-flight jobs released; another worker will pick them up');
      redis.disconnect();
      await db.destroy();
      logger.info('stopped');
    })().catch((error: unknown) => {
      logger.error({ err: error }, 'error while shutting down');
      process.exitCode = 1;
    });
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));

  logger.info(
    { provider: provider.endpoint, concurrency: config.WORKER_CONCURRENCY, queuePrefix: config.QUEUE_PREFIX, tmpDir: config.UPLOAD_TMP_DIR },
    'worker ready',
  );
  await worker.run();
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, `worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
  setTimeout(() => process.exit(1), 200).unref();
});
