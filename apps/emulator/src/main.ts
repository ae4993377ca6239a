import { pino } from 'pino';
import { cloudinaryUrlFor, ConfigError, LISTENING_MESSAGE, loadConfig, urlHost } from './config.js';
import { buildEmulator } from './emulator.js';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = pino({ level: config.logLevel, name: 'hoist-emulator' });
  const app = buildEmulator({ ...config, logger });

  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down');
    app.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'close failed');
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', shutdown);
  process.once('SIGINT', shutdown);

  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  const listening = `http://${urlHost(config.host)}:${port}`;
  // How to point Hoist at it, without the secret: logs travel further than the secret should.
  const cloudinaryUrl = cloudinaryUrlFor(listening, { ...config, apiSecret: '***' });
  logger.info({ url: listening, publicUrl: config.publicUrl ?? listening }, `${LISTENING_MESSAGE} ${listening}`);
  logger.info(`CLOUDINARY_URL=${cloudinaryUrl} (*** is the API secret, EMULATOR_API_SECRET)`);
  logger.info(`IMAGEKIT_UPLOAD_BASE_URL=${listening} IMAGEKIT_API_BASE_URL=${listening} IMAGEKIT_URL_ENDPOINT=${config.publicUrl ?? listening}/imagekit/${config.imagekitId} (IMAGEKIT_PRIVATE_KEY is EMULATOR_IMAGEKIT_PRIVATE_KEY)`);
  logger.info(`CLOUDFLARE_API_BASE_URL=${listening}/client/v4 CLOUDFLARE_ACCOUNT_ID=${config.cloudflareAccountId} (the API token is EMULATOR_CLOUDFLARE_API_TOKEN)`);
}

main().catch((error: unknown) => {
  // Config errors are the operator's to fix: one clear line, no stack.
  const logger = pino({ name: 'hoist-emulator' });
  if (error instanceof ConfigError) logger.fatal({ variable: error.variable }, error.message);
  else logger.fatal({ err: error }, 'emulator failed to start');
  process.exit(1);
});
