import { createServer } from 'node:http';
import multipart from '@fastify/multipart';
import { BacklogEstimate, ProviderRoster, type ApiKeyRepository, type JobQueue, type ProviderCatalog, type TempStorage, type UploadEvents, type UploadRepository } from '@hoist/core';
import type { HoistMetrics } from '@hoist/metrics';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { clientErrorHandler } from './client-errors.js';
import { adminDashboardPlugin, type AdminDashboardOptions } from './plugins/admin-dashboard.js';
import { authPlugin } from './plugins/auth.js';
import { registerCors } from './plugins/cors.js';
import { metricsPlugin } from './plugins/metrics.js';
import { openApiPlugin } from './plugins/openapi.js';
import { problemsPlugin, sendProblem } from './plugins/problems.js';
import { problemType } from './problem.js';
import { storableInputPlugin } from './plugins/storable-input.js';
import { addInputFormats } from './storable-input.js';
import { uploadLogPlugin } from './plugins/upload-log.js';
import { requestId } from './request-id.js';
import { RequestLogController } from './request-log.js';
import { OpenStreams, STREAM_DEFAULTS, type StreamLimits } from './stream-guard.js';
import { tenantLimitsPlugin, type TenantLimitsOptions } from './plugins/tenant-limits.js';
import { healthRoutes, type ReadinessCheck } from './routes/health.js';
import { cancelUploadRoute } from './routes/cancel-upload.js';
import { deleteUploadRoute } from './routes/delete-upload.js';
import { retryUploadRoute } from './routes/retry-upload.js';
import { listUploadsRoute } from './routes/list-uploads.js';
import { uploadEventsRoute } from './routes/upload-events.js';
import { webhookRoutes, type WebhookRoutesOptions } from './routes/webhooks.js';
import { pollingWait, type WaitForChange } from './long-poll.js';
import { tusRoutes, type TusOptions } from './routes/tus.js';
import { uploadRoutes } from './routes/uploads.js';
import { uploadPagePlugin } from './upload-page/plugin.js';
import type { UploadViewCache } from './upload-view-cache.js';

/** Stream buffer of the multipart parser and of each file part it emits, bytes. */
const MULTIPART_BUFFER_BYTES = 1024 * 1024;

export interface AppDeps {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
  /**
   * The providers this API can call, to delete assets (DELETE /v1/uploads/:id) where they landed;
   * deleting an asset on a provider it lacks answers 503 and says which.
   */
  providerRoster?: ProviderRoster | undefined;
  /**
   * The providers uploads may go to, what each accepts and the default (see chooseProvider): an
   * upload its provider would refuse is refused at submit time.
   */
  providers: ProviderCatalog;
  /** Outbound policy for URL uploads (`URL_FETCH_ALLOW`), checked when they are submitted; default: public servers only. */
  urlFetchAllow?: readonly string[];
  /** Webhook endpoints and their deliveries (/v1/webhooks); without it those routes are not served. */
  webhooks?: WebhookRoutesOptions['webhooks'];
  /** Readiness probes by dependency name (`postgres`, `redis`). */
  checks: Record<string, ReadinessCheck>;
  /** Checks whose failure only degrades the API (default: `redis`, since uploads then wait in the outbox). */
  optionalChecks?: readonly string[];
  /** A pino logger (see @hoist/logger). */
  logger: FastifyBaseLogger;
  maxUploadBytes: number;
  allowedContentTypes: readonly string[];
  /** `ALLOW_ACTIVE_SVG`: accept SVGs with script or external references; default false (415 `active-svg`). */
  allowActiveSvg?: boolean;
  /** Bearer API keys (`on`, the default in production) or one `default` tenant for local use (`off`). */
  auth: { mode: 'on' | 'off'; apiKeys: ApiKeyRepository };
  /**
   * Views of final uploads kept in memory between status polls, invalidated by `events`' announcements
   * (see UploadViewCache, which states how stale one may be); default: none, every GET reads Postgres.
   */
  viewCache?: UploadViewCache | undefined;
  /** Where the API announces the status changes it makes (retry, cancel, delete) to every API process; default: nowhere. */
  events?: UploadEvents | undefined;
  /** How long-polls (`?wait=`) hear of status changes; default: re-reading Postgres every 0.5 s. */
  waitForChange?: WaitForChange;
  /** Prometheus metrics, served at /metrics (protected when `metricsToken` is set); default: none. */
  metrics?: HoistMetrics;
  metricsToken?: string | undefined;
  /** A request (headers and body) must arrive within this long, ms; default 10 minutes. */
  requestTimeoutMs?: number;
  /** Per-tenant request rate and unfinished-upload cap; default: none. */
  limits?: Omit<TenantLimitsOptions, 'uploads'>;
  /** The queue dashboard at /admin/queues (ADMIN_TOKEN); default: none, and /admin/* is 404. */
  admin?: AdminDashboardOptions;
  /** Per-tenant cap on open SSE streams and long-polls, and their API key re-check; default: no cap, re-checked every 30 s. */
  streams?: StreamLimits;
  /** Resumable uploads at /v1/tus (their store and locks); without it /v1/tus is not served. */
  tus?: TusOptions | undefined;
  /** `UPLOAD_PAGE=on`: the browser upload page at /upload (over /v1/tus); default: none, /upload is 404. */
  uploadPage?: boolean;
  /** `CORS_ORIGINS`: origins whose pages may call /v1 (and /v1/tus) from a browser; default: none, no CORS headers. */
  corsOrigins?: readonly string[];
}

/** No provider: deleting an asset answers 503 provider-not-configured. */
const NO_PROVIDERS = new ProviderRoster([]);

/** Builds the ingest API. Never listens: main.ts does, tests use inject() or listen themselves. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger,
    // One line per request, at its end, naming the upload it was about (see request-log.ts).
    logController: new RequestLogController(),
    // Ids in logs tie a request to its upload; a caller's id is honoured for tracing across
    // services, but only a sane one (see request-id.ts), since it lands in every line of the request.
    requestIdHeader: false,
    genReqId: requestId,
    // Slow clients must not hold a connection forever (slowloris); large files on slow links still fit.
    // Node enforces requestTimeout only when it sweeps connections, every 30 s by default; sweep
    // often enough that the limit means what it says.
    serverFactory: (handler) => {
      const requestTimeout = deps.requestTimeoutMs ?? 10 * 60_000;
      return createServer({ requestTimeout, connectionsCheckingInterval: Math.max(250, Math.min(5_000, requestTimeout / 4)) }, handler);
    },
    clientErrorHandler,
    // Errors Fastify raises before routing (a malformed percent-encoding in the path) are bad input
    // like any other: problem+json, not Fastify's own JSON.
    frameworkErrors: (error, request, reply) => {
      void sendProblem(reply, { type: problemType('bad-request'), title: 'Bad request', status: 400, detail: error.message, instance: request.url });
    },
    // Refuse unknown query parameters instead of silently dropping them: a typo'd filter should
    // fail loudly, not return unfiltered data.
    // `date-time` as JavaScript and Postgres agree on it (no leap second; see storable-input.ts).
    ajv: { customOptions: { removeAdditional: false }, onCreate: addInputFormats },
  });
  // Open SSE streams and long-polls end (and give their tenant's share back) before the server
  // closes, instead of holding shutdown until its timeout.
  const open = new OpenStreams();
  app.addHook('preClose', () => open.closeAll());
  const streams: StreamLimits = { ...STREAM_DEFAULTS, ...deps.streams, open };
  // One count of a tenant's backlog a second, not one per upload (the queue priority; see BacklogEstimate).
  const backlog = new BacklogEstimate(deps.uploads);
  await app.register(problemsPlugin);
  await app.register(storableInputPlugin);
  await app.register(openApiPlugin);
  if (deps.metrics) await app.register(metricsPlugin, { metrics: deps.metrics, token: deps.metricsToken });
  await app.register(multipart, {
    // The inspector enforces the size limit (it sees the byte over it and refuses that file with a
    // clear problem); busboy just stops reading there, so one oversized file among several "files"
    // doesn't fail the whole request.
    throwFileSizeLimit: false,
    // Bigger stream buffers between the socket, the multipart parser and each file's stream: a
    // large upload moves in fewer, larger steps (less pausing and resuming per 64 KiB).
    highWaterMark: MULTIPART_BUFFER_BYTES,
    fileHwm: MULTIPART_BUFFER_BYTES,
    limits: {
      fieldNameSize: 100,
      fieldSize: 64 * 1024,
      fields: 20,
      // One more than allowed so the inspector, not busboy's silent truncation, reports the overflow.
      fileSize: deps.maxUploadBytes + 1,
      // Up to 20 files in "files"; one more than that is a 413. (A second "file" is refused by name.)
      files: 20,
      headerPairs: 100,
      parts: 25,
    },
  });
  healthRoutes(app, deps.checks, deps.optionalChecks ?? ['redis']);
  if (deps.admin) await app.register(adminDashboardPlugin, deps.admin);
  if (deps.uploadPage) await app.register(uploadPagePlugin, { auth: deps.auth.mode });
  await app.register(
    async (v1) => {
      // Before auth: a preflight carries no API key.
      await registerCors(v1, deps.corsOrigins ?? []);
      await v1.register(authPlugin, deps.auth);
      await v1.register(uploadLogPlugin);
      if (deps.limits) await v1.register(tenantLimitsPlugin, { ...deps.limits, uploads: deps.uploads });
      uploadRoutes(v1, { ...deps, streams, backlog });
      listUploadsRoute(v1, deps.uploads);
      cancelUploadRoute(v1, deps);
      retryUploadRoute(v1, deps);
      deleteUploadRoute(v1, { ...deps, providers: deps.providerRoster ?? NO_PROVIDERS });
      uploadEventsRoute(v1, deps.uploads, deps.waitForChange ?? pollingWait, streams);
      if (deps.webhooks) webhookRoutes(v1, { webhooks: deps.webhooks, urlFetchAllow: deps.urlFetchAllow });
      if (deps.tus) tusRoutes(v1, { ...deps, tus: deps.tus, backlog });
    },
    { prefix: '/v1' },
  );
  return app;
}
