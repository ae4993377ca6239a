import type { IncomingMessage } from 'node:http';
import { abandonReceiving, beginReceiving, cancelUpload, expireReceiving, finishReceiving, requestFingerprint, type Logger, type UploadRepository } from '@hoist/core';
import type { TusStore } from '@hoist/temp-storage';
import { EVENTS, Server, type DataStore, type Locker, type Upload as TusUpload } from '@tus/server';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { acceptAnswer } from '../accept-answer.js';
import { acceptDeps, intakeRules, type IngestOptions } from '../ingest.js';
import { parseIdempotencyKey } from '../idempotency-key.js';
import { findOwnUpload } from '../own-upload.js';
import { CORS_EXPOSED_HEADERS, corsOriginAllowed } from '../plugins/cors.js';
import { bindUploadLog } from '../plugins/upload-log.js';
import { dependencyProblem, HttpProblem, problemResponses } from '../problem.js';
import { inspectReceived } from '../tus-intake.js';
import { parseTusMetadata, readTusMetadata } from '../tus-metadata.js';

/** Where tus is served; the tus resource id is the upload id, so `Location` is `/v1/tus/<uploadId>`. */
export const TUS_PATH = '/v1/tus';

/** The resumable-upload store and locks. */
export interface TusOptions {
  /** Partial uploads, beside temp storage (`openTusStore` in @hoist/temp-storage); must be shared by every API process. */
  datastore: TusStore;
  /** Locks an upload while a request writes it, across API processes (RedisUploadLocks); default: in this process only. */
  locker?: Locker | undefined;
}

export interface TusRoutesOptions extends IngestOptions {
  tus: TusOptions;
  /** CORS_ORIGINS: the only origins tus's own CORS headers name (see corsOriginAllowed); default none. */
  corsOrigins?: readonly string[] | undefined;
}

/** What a tus request carries from Fastify (auth, logger) into @tus/server's hooks. */
interface TusRequestContext {
  tenantId: string;
  log: FastifyBaseLogger;
  /** The request's id, quoted in a 500's body. */
  requestId: string;
  /**
   * The upload this request may touch: for a creation, the `receiving` upload recorded for it; for
   * HEAD, PATCH and DELETE, the one found among the caller's tenant's. @tus/server is told to use
   * this id, never to read one from the URL itself (its pattern would take one from a query string).
   */
  uploadId?: string;
}

/**
 * tus 1.0 at /v1/tus (core, creation, creation-with-upload, termination, expiration) through
 * @tus/server, under the /v1 auth. Wiring only: a creation's metadata is read by parseTusMetadata
 * and recorded by core's beginReceiving before tus creates the resource (named after the upload);
 * every request on an upload first finds it among the caller's tenant's (404 otherwise, as on every
 * /v1 route); the last byte runs the inspector over the stored bytes and core's finishReceiving.
 */
export function tusRoutes(app: FastifyInstance, options: TusRoutesOptions): void {
  const { uploads, storage, tus } = options;
  const intake = intakeRules(options);
  const contexts = new WeakMap<IncomingMessage, TusRequestContext>();

  /** The Hoist context of a request @tus/server hands to a hook (it wraps the Node request). */
  function contextOf(request: unknown): TusRequestContext {
    const raw = rawRequest(request);
    const context = raw && contexts.get(raw);
    if (!context) throw new Error('a tus request without its Hoist context');
    return context;
  }

  /** The last byte arrived: inspect and store the bytes, then let core queue or refuse the upload. */
  async function finish(context: TusRequestContext, upload: TusUpload): Promise<{ headers: Record<string, string> }> {
    const { tenantId, log } = context;
    const current = await uploads.find(upload.id, { tenantId });
    // A repeated last PATCH, or an upload cancelled meanwhile: nothing to inspect or queue again.
    if (current?.status !== 'receiving') return { headers: { 'Hoist-Upload-Status': current?.status ?? 'unknown' } };
    const { options: uploadOptions } = readTusMetadata(upload.metadata ?? {});
    const received = await inspectReceived(await tus.datastore.read(upload.id), storage, intake);
    const outcome = await finishReceiving(acceptDeps(options, log), { uploadId: upload.id, tenantId, dedupe: uploadOptions.dedupe, received, provider: current.provider });
    return { headers: { 'Hoist-Upload-Status': outcome.upload?.status ?? 'unknown' } };
  }

  const corsOn = (options.corsOrigins ?? []).length > 0;
  const server = new Server({
    path: TUS_PATH,
    datastore: tus.datastore,
    ...(tus.locker ? { locker: tus.locker } : {}),
    maxSize: options.maxUploadBytes,
    relativeLocation: true,
    respectForwardedHeaders: false,
    disableTerminationForFinishedUploads: true,
    // tus writes its own CORS headers on the responses it sends (Fastify's, from @fastify/cors, do
    // not reach a hijacked reply); left alone it allows every origin (`*`). Same origins, same
    // exposed headers as the rest of /v1.
    allowedOrigins: corsOriginAllowed(options.corsOrigins ?? []),
    exposedHeaders: [...CORS_EXPOSED_HEADERS],
    namingFunction: (request) => {
      const { uploadId } = contextOf(request);
      if (!uploadId) throw new Error('a tus creation without its recorded upload');
      return uploadId;
    },
    getFileIdFromRequest: (request) => contextOf(request).uploadId,
    onUploadFinish: (request, upload) => finish(contextOf(request), upload),
    onResponseError: (request, error) => {
      // tus's own answers (an offset mismatch, a lock timeout, a missing file) go out as they are.
      if (!(error instanceof Error) || 'status_code' in error) return undefined;
      const raw = rawRequest(request);
      const context = raw && contexts.get(raw);
      const unavailable = dependencyProblem(error);
      // Replies are hijacked for tus, so Fastify's error handler never sees these: log them here,
      // and answer as it would — a dependency's outage is a 503, anything else a 500 with no internals.
      context?.log.error({ err: unavailable ? error.cause ?? error : error }, unavailable ? unavailable.message : 'tus request failed');
      return unavailable
        ? { status_code: 503, body: `${unavailable.message}\n` }
        : { status_code: 500, body: `Something went wrong on our side; it has been logged${context ? ` (request id ${context.requestId})` : ''}.\n` };
    },
  });

  // The bytes are in temp storage now (or refused): the tus copy has served its purpose. Removed
  // once the answer is written, since @tus/server still reads the upload's info until then.
  server.on(EVENTS.POST_FINISH, (request, _response, upload) => {
    tus.datastore.remove(upload.id).catch((error: unknown) => {
      const raw = rawRequest(request);
      (raw && contexts.get(raw))?.log.warn({ err: error, uploadId: upload.id }, 'could not remove a finished tus upload; it expires later');
    });
  });

  /** The stored tus upload when every byte is in but it is still `receiving` (its finish failed); else undefined. */
  async function completeButUnfinished(uploadId: string): Promise<TusUpload | undefined> {
    const stored = await tus.datastore.getUpload(uploadId).catch(() => undefined);
    return stored?.size !== undefined && stored.offset === stored.size ? stored : undefined;
  }

  async function removeTusCopy(uploadId: string, log: FastifyBaseLogger): Promise<void> {
    await tus.datastore.remove(uploadId).catch((error: unknown) => log.warn({ err: error, uploadId }, 'could not remove a finished tus upload; it expires later'));
  }

  // tus bodies stream straight to the store: Fastify must leave them unread.
  app.addContentTypeParser('application/offset+octet-stream', (_request, _payload, done) => {
    done(null);
  });

  /** From here on @tus/server answers, on the raw request and response. */
  async function handOver(request: FastifyRequest, context: TusRequestContext, reply: FastifyReply): Promise<void> {
    contexts.set(request.raw, context);
    // With CORS_ORIGINS, whether an answer names an origin depends on the request's Origin: caches
    // must keep one copy per origin (the CORS plugin says so on Fastify's replies; tus writes its own).
    if (corsOn) reply.raw.setHeader('vary', 'Origin');
    reply.hijack();
    await server.handle(request.raw, reply.raw);
  }

  /**
   * A repeated creation under its Idempotency-Key: the original upload's resource, and how much of
   * it the server has (all of it once it is no longer receiving), so the client resumes from there.
   * A body sent with the repeat is not stored; the client sends it again from `Upload-Offset`.
   */
  async function replayCreation(request: FastifyRequest, reply: FastifyReply, uploadId: string): Promise<FastifyReply> {
    const upload = await uploads.find(uploadId, { tenantId: request.tenantId });
    const stored = upload?.status === 'receiving' ? await tus.datastore.getUpload(uploadId).catch(() => undefined) : undefined;
    const offset = stored?.offset ?? upload?.bytes ?? 0;
    bindUploadLog(request, reply, { uploadId, tenantId: request.tenantId });
    // The unread body must not be taken for the next request on this connection.
    if (request.headers['content-length'] !== '0' && request.headers['content-length'] !== undefined) reply.header('connection', 'close');
    return reply
      .code(201)
      .headers({ location: `${TUS_PATH}/${uploadId}`, 'tus-resumable': '1.0.0', 'upload-offset': String(offset), 'idempotent-replayed': 'true' })
      .send();
  }

  app.post(
    '/tus',
    {
      schema: {
        summary: 'Create a resumable (tus 1.0) upload',
        description:
          'tus creation (and creation-with-upload): `Upload-Length` (at most MAX_UPLOAD_BYTES) and `Upload-Metadata` with `filename`, `publicId`, `folder`, `tags`, `metadata`, `resourceType`, `eager`, `dedupe`, validated as the multipart fields. Answers 201 with `Location: /v1/tus/<uploadId>`; the upload is `receiving` until its last byte, then inspected and queued (GET /v1/uploads/<uploadId>). A repeated Idempotency-Key answers 201 with the original upload\'s Location and Upload-Offset (`Idempotent-Replayed: true`).',
        tags: ['uploads'],
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: '1–255 visible ASCII characters' } } },
        response: problemResponses(400, 401, 412, 413, 422, 429, 503),
      },
    },
    async (request, reply) => {
      if (header(request, 'tus-resumable') !== '1.0.0') {
        throw new HttpProblem(412, 'unsupported-tus-version', 'Unsupported tus version', 'Send Tus-Resumable: 1.0.0.', {}, { 'tus-version': '1.0.0' });
      }
      if (header(request, 'upload-concat') !== undefined) {
        throw new HttpProblem(400, 'invalid-header', 'Invalid header', 'Upload-Concat: the concatenation extension is not supported.', { header: 'Upload-Concat' });
      }
      const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
      const { filename, options: uploadOptions, fields } = parseTusMetadata(header(request, 'upload-metadata'));
      const length = header(request, 'upload-length');
      if (length === undefined ? header(request, 'upload-defer-length') !== '1' : !/^\d{1,16}$/.test(length)) {
        throw new HttpProblem(400, 'invalid-header', 'Invalid header', 'Upload-Length: must be the size in bytes (or send Upload-Defer-Length: 1).', { header: 'Upload-Length' });
      }
      if (length !== undefined && Number(length) > options.maxUploadBytes) {
        throw new HttpProblem(413, 'file-too-large', 'File too large', `The file is larger than the limit of ${options.maxUploadBytes} bytes (Upload-Length: ${length}).`);
      }
      const idempotency = idempotencyKey
        ? { key: idempotencyKey, fingerprint: requestFingerprint({ fields, filename, content: { declaredLength: length === undefined ? 'deferred' : Number(length) } }) }
        : undefined;
      const outcome = await beginReceiving(acceptDeps(options, request.log), { tenantId: request.tenantId, tenantProvider: request.tenantProvider, filename, options: uploadOptions, idempotency, bytes: length === undefined ? undefined : Number(length) });
      if (outcome.kind === 'replayed') return replayCreation(request, reply, outcome.uploadId);
      if (outcome.kind !== 'receiving') {
        const answer = acceptAnswer(outcome, request.tenantId);
        throw answer instanceof HttpProblem ? answer : new Error(`unexpected outcome of a tus creation: ${outcome.kind}`);
      }
      const { id } = outcome.upload;
      bindUploadLog(request, reply, { uploadId: id, tenantId: request.tenantId });
      await handOver(request, { tenantId: request.tenantId, log: request.log, requestId: request.id, uploadId: id }, reply);
      // tus refused what the checks above do not cover (a protocol error): no bytes can come for
      // the recorded upload, which must not hold a place against the cap until it expires.
      if (reply.raw.statusCode >= 400) {
        await abandonReceiving({ uploads, logger: request.log }, { uploadId: id, tenantId: request.tenantId, reason: `The tus creation was refused (HTTP ${reply.raw.statusCode}).` });
      }
    },
  );

  app.route<{ Params: { id: string } }>({
    method: ['HEAD', 'PATCH', 'DELETE'],
    url: '/tus/:id',
    schema: {
      summary: 'Resume (HEAD, PATCH) or terminate (DELETE) a tus upload',
      tags: ['uploads'],
      params: { type: 'object', properties: { id: { type: 'string' } } },
      response: problemResponses(401, 404, 410, 503),
    },
    handler: async (request, reply) => {
      const upload = await findOwnUpload(uploads, request.tenantId, request.params.id);
      bindUploadLog(request, reply, { uploadId: upload.id, tenantId: request.tenantId });
      if (request.method === 'DELETE') {
        if (upload.status === 'receiving') await cancelUpload(acceptDeps(options, request.log), upload.id, { tenantId: request.tenantId });
      } else if (upload.status !== 'receiving') {
        // tus: a resource the server no longer takes bytes for is 410 Gone.
        throw new HttpProblem(410, 'upload-not-receiving', 'Upload no longer receiving', `The upload is ${upload.status}; see /v1/uploads/${upload.id}.`);
      }
      const context: TusRequestContext = { tenantId: request.tenantId, log: request.log, requestId: request.id, uploadId: upload.id };
      // Every byte arrived but finishing failed then (a store was down): the client, resuming, will
      // read the full offset and call it done, so finish now, before answering — or fail this request
      // (503) so that it tries again, rather than let the upload expire unnoticed.
      const complete = request.method === 'HEAD' && upload.status === 'receiving' ? await completeButUnfinished(upload.id) : undefined;
      if (complete) {
        const { headers } = await finish(context, complete);
        void reply.headers(headers);
      }
      await handOver(request, context, reply);
      if (complete) await removeTusCopy(upload.id, request.log);
    },
  });
}

/**
 * Expires abandoned tus uploads: the store deletes partial bytes older than its expiration period,
 * and core fails the rows still `receiving` past `expirationMs` (`upload_expired`), so neither
 * outlives a client that went away. Safe to run from every API process at once.
 * @returns how many uploads it failed.
 */
export async function expireTusUploads(deps: { datastore: DataStore; uploads: UploadRepository; logger: Logger }, expirationMs: number): Promise<number> {
  try {
    // Another API process may have removed some of the same files already (FILE_NOT_FOUND).
    await deps.datastore.deleteExpired();
  } catch (error) {
    deps.logger.warn({ err: error }, 'tus: could not delete every expired upload; the next run tries again');
  }
  return expireReceiving(deps, { createdBefore: new Date(Date.now() - expirationMs), limit: 500 });
}

/** The Node request under the web request @tus/server wraps it in (srvx's `runtime.node.req`). */
function rawRequest(request: unknown): IncomingMessage | undefined {
  return (request as { runtime?: { node?: { req?: IncomingMessage } } }).runtime?.node?.req;
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}
