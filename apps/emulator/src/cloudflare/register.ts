import type { FastifyError, FastifyInstance } from 'fastify';
import { drainBody } from '../apply-faults.js';
import { DEFAULTS } from '../config.js';
import type { EmulatorConfig } from '../config.js';
import type { HungConnection } from '../context.js';
import { FaultInjector } from '../faults.js';
import { Stats } from '../stats.js';
import type { AssetStore } from '../store.js';
import type { CloudflareContext } from './cloudflare-context.js';
import { cloudflareErrorBody, CloudflareHttpError } from './cloudflare-errors.js';
import { registerCloudflareControl } from './control.js';
import { registerCloudflareDelivery } from './delivery.js';
import { registerImagesApi } from './images-api.js';
import { ImageStore, imageStoreDir } from './image-store.js';

/** The emulator's settings the Cloudflare side reads; each defaults as in {@link DEFAULTS}. */
export type CloudflareSideOptions = Partial<Pick<EmulatorConfig, 'cloudflareAccountId' | 'cloudflareApiToken' | 'cloudflareAccountHash' | 'latencyMs' | 'rateLimitPerSecond'>>;

/** What the Cloudflare side shares with the Cloudinary side. */
export interface SharedState {
  /** Its images live in a directory under this store's root, and uploads land in its temp directory. */
  readonly store: AssetStore;
  /** Connections held by timeout faults, all dropped on close. */
  readonly hung: Set<HungConnection>;
  readonly publicUrl: string | undefined;
}

const API_PREFIX = '/client/v4/';

/**
 * Registers Cloudflare Images' API, delivery and control routes in a scope of their own: their own
 * images, faults and stats, and Cloudflare's error shape for every error they throw.
 */
export function registerCloudflare(app: FastifyInstance, options: CloudflareSideOptions, shared: SharedState): void {
  const context: CloudflareContext = {
    accountId: options.cloudflareAccountId ?? DEFAULTS.cloudflareAccountId,
    apiToken: options.cloudflareApiToken ?? DEFAULTS.cloudflareApiToken,
    accountHash: options.cloudflareAccountHash ?? DEFAULTS.cloudflareAccountHash,
    publicUrl: shared.publicUrl,
    store: new ImageStore(imageStoreDir(shared.store.root)),
    tmpDir: shared.store.tmpDir,
    faults: new FaultInjector({
      latencyMs: options.latencyMs ?? DEFAULTS.latencyMs,
      rateLimitPerSecond: options.rateLimitPerSecond ?? null,
      // The `cloudinary` style is the one that puts quota headers on answers that pass; here they are Cloudflare's Ratelimit fields.
      rateLimitStyle: 'cloudinary',
    }),
    stats: new Stats(),
    hung: shared.hung,
  };
  app.addHook('onReady', async () => {
    await context.store.init();
  });
  void app.register((scope, _options, done) => {
    scope.setErrorHandler<FastifyError | CloudflareHttpError>(async (error, request, reply) => {
      // An answer before the body is read would make the server close under a client still sending (EPIPE, not the answer).
      await drainBody(request);
      if (error instanceof CloudflareHttpError) return reply.code(error.statusCode).send(cloudflareErrorBody(error.errors));
      const status = typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode <= 599 ? error.statusCode : 500;
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.code(status).send(cloudflareErrorBody([{ code: 5000 + status, message: error.message }]));
    });
    scope.addHook('onRequest', (request, _reply, next) => {
      if (request.url.startsWith(API_PREFIX)) context.stats.countRequest();
      next();
    });
    scope.addHook('onResponse', (request, reply, next) => {
      if (request.url.startsWith(API_PREFIX)) context.stats.outcome(reply.statusCode);
      next();
    });
    registerImagesApi(scope, context);
    registerCloudflareDelivery(scope, context);
    registerCloudflareControl(scope, context);
    done();
  });
}
