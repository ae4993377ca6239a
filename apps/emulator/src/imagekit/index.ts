import { join } from 'node:path';
import type { FastifyError, FastifyInstance } from 'fastify';
import { DEFAULTS } from '../config.js';
import type { EmulatorContext } from '../context.js';
import { FaultInjector } from '../faults.js';
import { Stats } from '../stats.js';
import { errorBody, ImageKitError } from './answers.js';
import type { ImageKitContext } from './context.js';
import { registerControl } from './control.js';
import { registerDelivery } from './delivery.js';
import { FileStore } from './file-store.js';
import { registerMediaApi } from './media-api.js';
import { MetadataFields } from './metadata-fields.js';
import { registerUpload } from './upload.js';

/** The emulator's settings for its ImageKit account; each defaults as in {@link DEFAULTS}. */
export interface ImageKitOptions {
  readonly imagekitId?: string | undefined;
  readonly imagekitPrivateKey?: string | undefined;
  readonly imagekitMaxFileBytes?: number | undefined;
  readonly latencyMs?: number | undefined;
}

function statusOf(error: FastifyError | ImageKitError): number {
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

/**
 * Serves an ImageKit account beside the Cloudinary emulator, on the same port: the upload API
 * (`/api/v1/files/upload`, ImageKit's upload host), the media API the SDK finds and deletes files
 * with (`/v1/…`, its API host), delivery at `/imagekit/<imagekitId>/<filePath>` (its URL endpoint)
 * and the control API under `/__emulator/imagekit`. It has its own files (under the store's root),
 * faults and stats, and answers errors in ImageKit's shape.
 */
export function registerImageKit(app: FastifyInstance, emulator: EmulatorContext, options: ImageKitOptions): void {
  const files = new FileStore(join(emulator.store.root, 'imagekit'));
  const context: ImageKitContext = {
    imagekitId: options.imagekitId ?? DEFAULTS.imagekitId,
    privateKey: options.imagekitPrivateKey ?? DEFAULTS.imagekitPrivateKey,
    maxFileBytes: options.imagekitMaxFileBytes ?? DEFAULTS.imagekitMaxFileBytes,
    publicUrl: emulator.publicUrl,
    files,
    fields: new MetadataFields(),
    faults: new FaultInjector({ latencyMs: options.latencyMs ?? DEFAULTS.latencyMs, rateLimitPerSecond: null, rateLimitStyle: 'cloudinary' }),
    stats: new Stats(),
    hung: emulator.hung,
  };
  void app.register((instance, _options, done) => {
    instance.setErrorHandler<FastifyError | ImageKitError>((error, request, reply) => {
      const status = statusOf(error);
      if (status >= 500) request.log.error({ err: error }, 'request failed');
      return reply.code(status).send(errorBody(error.message, error instanceof ImageKitError ? error.errors : undefined));
    });
    instance.addHook('onReady', async () => {
      await files.init();
    });
    instance.addHook('onResponse', (request, reply, hookDone) => {
      if (request.url.startsWith('/api/v1/') || request.url.startsWith('/v1/')) context.stats.outcome(reply.statusCode);
      hookDone();
    });
    registerUpload(instance, context);
    void instance.register((media, _mediaOptions, mediaDone) => {
      registerMediaApi(media, context);
      mediaDone();
    });
    registerDelivery(instance, context);
    registerControl(instance, context);
    done();
  });
}
