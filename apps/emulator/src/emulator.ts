import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import multipart from '@fastify/multipart';
import Fastify from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import { ChunkSessions } from './chunks.js';
import { registerCloudflare } from './cloudflare/register.js';
import { DEFAULTS } from './config.js';
import type { EmulatorConfig } from './config.js';
import type { EmulatorContext } from './context.js';
import { registerControl } from './control.js';
import { registerDelivery } from './delivery.js';
import { errorBody } from './errors.js';
import type { HttpError } from './errors.js';
import { FaultInjector } from './faults.js';
import { registerImageKit } from './imagekit/index.js';
import { MAX_FIELD_BYTES } from './form.js';
import { Stats } from './stats.js';
import { AssetStore } from './store.js';
import { registerUploadApi } from './upload-api.js';

/** Options of {@link buildEmulator}; everything defaults as in {@link loadConfig}'s defaults. */
export interface EmulatorOptions extends Partial<Omit<EmulatorConfig, 'host' | 'port'>> {
  /** A ready logger to use instead of one built from `logLevel`. */
  readonly logger?: FastifyBaseLogger;
}

function urlEncoded(body: string): Record<string, string | string[]> {
  const fields: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
  for (const [name, value] of new URLSearchParams(body)) {
    const existing = fields[name];
    fields[name] = name.endsWith('[]') ? [...(Array.isArray(existing) ? existing : []), value] : value;
  }
  return fields;
}

/** A message as a header value: header values cannot carry line breaks or non-Latin-1 text. */
function headerSafe(message: string): string {
  return message.replace(/[^\x20-\x7e]/g, '?').slice(0, 1024);
}

function statusOf(error: FastifyError | HttpError): number {
  const status = error.statusCode;
  return typeof status === 'number' && status >= 400 && status <= 599 ? status : 500;
}

/**
 * Builds the Cloudinary-compatible Upload API server. It does not listen; storage directories are
 * created when the instance becomes ready, and a storage directory the emulator created itself is
 * removed again on close.
 */
export function buildEmulator(options: EmulatorOptions = {}): FastifyInstance {
  const ownsStorage = options.storageDir === undefined;
  const store = new AssetStore(options.storageDir ?? join(tmpdir(), `hoist-emulator-${randomBytes(6).toString('hex')}`));
  const context: EmulatorContext = {
    cloudName: options.cloudName ?? DEFAULTS.cloudName,
    apiKey: options.apiKey ?? DEFAULTS.apiKey,
    apiSecret: options.apiSecret ?? DEFAULTS.apiSecret,
    signatureAlgorithm: options.signatureAlgorithm ?? DEFAULTS.signatureAlgorithm,
    unsignedPresets: new Set(options.unsignedPresets ?? DEFAULTS.unsignedPresets),
    publicUrl: options.publicUrl?.replace(/\/+$/, ''),
    secureUrl: options.secureUrl?.replace(/\/+$/, ''),
    fetchAllow: new Set(options.fetchAllow ?? DEFAULTS.fetchAllow),
    store,
    chunks: new ChunkSessions(store.chunksDir, store.tmpDir),
    faults: new FaultInjector({
      latencyMs: options.latencyMs ?? DEFAULTS.latencyMs,
      rateLimitPerSecond: options.rateLimitPerSecond ?? null,
      rateLimitStyle: options.rateLimitStyle ?? DEFAULTS.rateLimitStyle,
    }),
    stats: new Stats(),
    hung: new Set(),
  };

  const app = Fastify({
    ...(options.logger === undefined ? { logger: { level: options.logLevel ?? DEFAULTS.logLevel } } : { loggerInstance: options.logger }),
    // Data URIs arrive in JSON or url-encoded bodies; multipart file parts stream and are not bound by this.
    bodyLimit: MAX_FIELD_BYTES,
    // Ajv's defaults silently drop unknown properties and coerce types; the control API should refuse them.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false } },
  });

  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, done) => {
    done(null, urlEncoded(String(body)));
  });

  app.setErrorHandler<FastifyError | HttpError>((error, request, reply) => {
    const status = statusOf(error);
    if (status >= 500) request.log.error({ err: error }, 'request failed');
    // Cloudinary repeats the message in X-Cld-Error, where clients that drop the body still see it.
    return reply.code(status).header('x-cld-error', headerSafe(error.message)).send(errorBody(error.message));
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(`No route for ${request.method} ${request.url}`)));

  app.addHook('onRequest', (request, _reply, done) => {
    if (request.url.startsWith('/v1_1/')) context.stats.countRequest();
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    if (request.url.startsWith('/v1_1/')) context.stats.outcome(reply.statusCode);
    done();
  });
  app.addHook('onReady', async () => {
    await store.init();
  });
  // Connections held by timeout faults would otherwise keep close() waiting until their deadline.
  app.addHook('preClose', (done) => {
    for (const connection of context.hung) {
      clearTimeout(connection.timer);
      connection.socket.destroy();
    }
    done();
  });
  app.addHook('onClose', async () => {
    if (ownsStorage) await rm(store.root, { recursive: true, force: true });
  });

  void app.register(multipart, { limits: { fieldSize: MAX_FIELD_BYTES } });
  void app.register((instance, _options, done) => {
    registerUploadApi(instance, context);
    registerDelivery(instance, context);
    registerControl(instance, context);
    registerImageKit(instance, context, options);
    registerCloudflare(instance, options, context);
    done();
  });
  return app;
}
