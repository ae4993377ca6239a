import type { FastifyError, FastifyInstance } from 'fastify';
import { drainBody } from '../apply-faults.js';
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

/** What the Cloudflare side takes from the emulator: its settings and the shared pieces. */
export interface CloudflareSideOptions {
  readonly accountId: string;
  readonly apiToken: string;
  readonly accountHash: string;
  readonly publicUrl: string | undefined;
  readonly latencyMs: number;
  readonly rateLimitPerSecond: number | null;
  /** The Cloudinary side's store: the Cloudflare side keeps its images in a directory under its root and uses its temp directory. */
  readonly store: AssetStore;
  readonly hung: Set<HungConnection>;
}

const API_PREFIX = '/client/v4/';

/**
 * Registers Cloudflare Images' API, delivery and control routes in a scope of their own: their own
 * images, faults and stats, and Cloudflare's error shape for every error they throw.
 */
export function registerCloudflare(app: FastifyInstance, options: CloudflareSideOptions): void {
  const context: CloudflareContext = {
    accountId: options.accountId,
    apiToken: options.apiToken,
    accountHash: options.accountHash,
    publicUrl: options.publicUrl,
    store: new ImageStore(imageStoreDir(options.store.root)),
    tmpDir: options.store.tmpDir,
    // The `cloudinary` style is the one that puts quota headers on answers that pass; here they are Cloudflare's Ratelimit fields.
    faults: new FaultInjector({ latencyMs: options.latencyMs, rateLimitPerSecond: options.rateLimitPerSecond, rateLimitStyle: 'cloudinary' }),
    stats: new Stats(),
    hung: options.hung,
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
