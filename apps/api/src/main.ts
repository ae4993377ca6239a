import { loadConfig } from '@hoist/config';
import { assertSchemaCurrent, createDatabase, KyselyUploadRepository, pingDatabase } from '@hoist/db';
import { createLogger, redactUrl } from '@hoist/logger';
import { BullJobQueue, createRedis, pingRedis } from '@hoist/queue';
import { LocalTempStorage } from '@hoist/temp-storage';
import { buildApp } from './app.js';

const config = loadConfig();
const logger = createLogger({ name: 'api', level: config.LOG_LEVEL, format: config.LOG_FORMAT });

async function main(): Promise<void> {
  const db = createDatabase({ url: config.DATABASE_URL, applicationName: 'hoist-api' });
  await assertSchemaCurrent(db).catch((error: unknown) => {
    throw new Error(`Postgres at ${redactUrl(config.DATABASE_URL)}: ${error instanceof Error ? error.message : String(error)}`);
  });
  const redis = createRedis(config.REDIS_URL, 'producer');
  const queue = new BullJobQueue({ connection: redis, prefix: config.QUEUE_PREFIX, attempts: config.MAX_ATTEMPTS, logger });
  const storage = await new LocalTempStorage({ directory: config.UPLOAD_TMP_DIR }).init();

  const app = await buildApp({
    uploads: new KyselyUploadRepository(db),
    queue,
    storage,
    checks: { postgres: () => pingDatabase(db), redis: () => pingRedis(redis) },
    logger,
    maxUploadBytes: config.MAX_UPLOAD_BYTES,
    allowedContentTypes: config.ALLOWED_CONTENT_TYPES,
  });

  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => {
      logger.warn('shutdown timed out; exiting');
      process.exit(1);
    }, config.SHUTDOWN_TIMEOUT_MS);
    force.unref();
    void (async () => {
      await app.close();
      await queue.close();
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

  await app.listen({ host: config.HOST, port: config.PORT });
  logger.info(
    { tmpDir: config.UPLOAD_TMP_DIR, maxUploadBytes: config.MAX_UPLOAD_BYTES, queuePrefix: config.QUEUE_PREFIX },
    'api ready',
  );
}

main().catch((error: unknown) => {
  logger.fatal({ err: error }, `api failed to start: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
  // pino's transport (pretty mode) flushes asynchronously; give it a moment before open handles keep us alive.
  setTimeout(() => process.exit(1), 200).unref();
});
