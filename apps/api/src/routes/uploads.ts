import { createHash } from 'node:crypto';
import { finished } from 'node:stream';
import { derivePublicId, enqueueFairly, FINAL_STATUSES, MAX_PUBLIC_ID_LENGTH, IdempotencyKeyUsedError, newUploadId, TooManyUnfinishedUploadsError, type JobQueue, type TempStorage, type UploadRepository } from '@hoist/core';
import type { MultipartFile } from '@fastify/multipart';
import type { HoistMetrics } from '@hoist/metrics';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ActiveSvgError, IntakeError, UploadInspector, type InspectorPolicy } from '@hoist/intake';
import { domainProblem } from '../domain-problems.js';
import { jsonBodyAjv } from '../json-body.js';
import { findOwnUpload } from '../own-upload.js';
import { bindUploadLog } from '../plugins/upload-log.js';
import { dependencyProblem, DependencyUnavailableError, HttpProblem, internalError, problemResponses, unavailable } from '../problem.js';
import { assertStorable } from '../storable-input.js';
import { holdStream, keyRevoked, type StreamLimits } from '../stream-guard.js';
import { parseUploadOptions, sanitizeFilename, type UploadOptions } from '../upload-options.js';
import { toUploadView, uploadViewSchema } from '../upload-view.js';
import { parseUrlUpload, urlUploadBodySchema } from '../url-upload.js';

/** Longest long-poll, seconds. */
const MAX_WAIT_SECONDS = 60;
/** Waiters re-read Postgres at least this often, ms. */
const RECHECK_MS = 3_000;

/** Resolves when the upload's status may have changed, or after `timeoutMs`, or when `signal` aborts. */
export type WaitForChange = (uploadId: string, timeoutMs: number, signal: AbortSignal) => Promise<unknown>;

/** Without an announcement bus, waiting is re-reading on a short timer. */
export const pollingWait: WaitForChange = (_uploadId, timeoutMs, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.min(timeoutMs, 500));
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(undefined);
    }, { once: true });
  });

export interface UploadRoutesOptions {
  uploads: UploadRepository;
  /** Counts accepted uploads and bytes, when given. */
  metrics?: HoistMetrics | undefined;
  /** How long-polls learn of status changes (RedisUploadEvents.next); default: re-reading every 0.5 s. */
  waitForChange?: WaitForChange | undefined;
  queue: JobQueue;
  storage: TempStorage;
  maxUploadBytes: number;
  allowedContentTypes: readonly string[];
  /** `ALLOW_ACTIVE_SVG`: accept SVGs with script or external references; default false (415 `active-svg`). */
  allowActiveSvg?: boolean | undefined;
  /** `URL_FETCH_ALLOW`: hosts URL uploads may name although the address policy refuses them. */
  urlFetchAllow?: readonly string[] | undefined;
  /** Cap on a tenant's open long-polls and streams, and how often their key is re-checked; default: no cap, 30 s. */
  streams?: StreamLimits | undefined;
  /** `maxUnfinishedUploads` (`TENANT_MAX_UNFINISHED_UPLOADS`): each file past it is refused with 429; 0 or absent: no cap. */
  limits?: { maxUnfinishedUploads: number } | undefined;
}

/** What POST answers for one accepted upload. */
interface Accepted {
  id: string;
  statusUrl: string;
  replayed: boolean;
  headers: Record<string, string>;
  body: { id: string; status: string; statusUrl: string };
}

/** JSON bodies (`application/json`, with any parameters) are URL uploads. */
function isJson(request: FastifyRequest): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json';
}

interface StoredFile {
  key: string;
  filename: string;
  bytes: number;
  sha256: string;
  contentType: string;
}

const acceptedSchema = {
  type: 'object',
  required: ['id', 'status', 'statusUrl'],
  properties: { id: { type: 'string' }, status: { type: 'string' }, statusUrl: { type: 'string' } },
} as const;

/** The answer to several `files`: an entry per file, in order — an accepted upload or a problem. */
const severalAcceptedSchema = {
  type: 'object',
  required: ['uploads'],
  properties: {
    uploads: {
      type: 'array',
      items: {
        anyOf: [
          acceptedSchema,
          { type: 'object', required: ['filename', 'error'], properties: { filename: { type: 'string' }, error: { type: 'object', additionalProperties: true } } },
        ],
      },
    },
  },
} as const;

/** POST /v1/uploads and GET /v1/uploads/:id. Registered under the /v1 prefix. */
export function uploadRoutes(app: FastifyInstance, options: UploadRoutesOptions): void {
  const { uploads, queue, storage } = options;
  const intake: IntakeRules = { maxBytes: options.maxUploadBytes, allowed: new Set(options.allowedContentTypes), policy: { allowActiveSvg: options.allowActiveSvg } };
  const waitForChange = options.waitForChange ?? pollingWait;

  app.post(
    '/uploads',
    {
      schema: {
        summary: 'Upload a file, or a file from a URL',
        description:
          'multipart/form-data: streams the file to temporary storage and answers 202 once it is queued. application/json `{"url": …}`: answers 202 at once; a worker fetches the URL (SSRF-safe, size- and time-limited). A repeated Idempotency-Key answers 200 with the original upload.',
        tags: ['uploads'],
        body: { content: { 'application/json': { schema: urlUploadBodySchema } } },
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', description: '1–255 visible ASCII characters' } } },
        response: { 200: acceptedSchema, 202: { anyOf: [acceptedSchema, severalAcceptedSchema] }, ...problemResponses(400, 401, 413, 415, 422, 429, 503) },
      },
      // Not Fastify's default Ajv, which coerces types: right for query strings, wrong for a JSON
      // body, where it would quietly turn `"tags": 5` into "5" or metadata's 200 into "200".
      validatorCompiler: ({ schema }) => jsonBodyAjv.compile(schema),
    },
    async (request, reply) => {
      if (isJson(request)) {
        const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
        const source = parseUrlUpload(request.body, options.urlFetchAllow ?? []);
        const uploadOptions = parseUploadOptions(source.fields);
        const idempotency = idempotencyKey ? { key: idempotencyKey, fingerprint: fingerprint(source.fields, { filename: source.filename, sha256: source.url }) } : undefined;
        try {
          const outcome = await accept({ kind: 'url', url: source.url, filename: source.filename }, uploadOptions, idempotency, request);
          bindUploadLog(request, reply, { uploadId: outcome.id, tenantId: request.tenantId });
          return await reply.code(202).header('location', outcome.statusUrl).send(outcome.body);
        } catch (error) {
          if (error instanceof IdempotencyKeyUsedError) return replay(error, uploads, request, reply);
          throw error;
        }
      }
      if (!request.isMultipart()) {
        throw new HttpProblem(
          415,
          'unsupported-media-type',
          'Unsupported media type',
          'Send multipart/form-data with the file in a field named "file", or application/json with {"url": …}.',
        );
      }
      const idempotencyKey = parseIdempotencyKey(request.headers['idempotency-key']);
      const { mode, files, fields } = await receiveParts(request, reply, storage, intake);
      const stored = files.flatMap((received) => (received.ok ? [received.file] : []));
      let uploadOptions: UploadOptions;
      try {
        uploadOptions = parseUploadOptions(fields);
        if (mode === 'files' && uploadOptions.publicId) {
          throw new HttpProblem(400, 'invalid-field', 'Invalid field', 'publicId: names one asset, so it cannot be used with several "files"', { field: 'publicId' });
        }
        if (mode === 'files' && idempotencyKey) {
          throw new HttpProblem(400, 'invalid-header', 'Invalid header', 'Idempotency-Key applies to single-file uploads ("file"), not "files".', { header: 'Idempotency-Key' });
        }
      } catch (error) {
        for (const file of stored) await discard(storage, file.key, request);
        throw error;
      }

      if (mode === 'file') {
        const [file] = stored;
        if (!file) throw new HttpProblem(400, 'missing-file', 'Missing file', 'Send the file in a multipart field named "file".');
        const idempotency = idempotencyKey ? { key: idempotencyKey, fingerprint: fingerprint(fields, file) } : undefined;
        let outcome;
        try {
          outcome = await acceptFile(file, uploadOptions, idempotency, request);
        } catch (error) {
          await discard(storage, file.key, request);
          if (error instanceof IdempotencyKeyUsedError) return replay(error, uploads, request, reply);
          throw error;
        }
        bindUploadLog(request, reply, { uploadId: outcome.id, tenantId: request.tenantId });
        return reply.code(outcome.replayed ? 200 : 202).header('location', outcome.statusUrl).headers(outcome.headers).send(outcome.body);
      }

      // Several files: one entry each, an accepted upload or the problem that refused that file.
      const entries: unknown[] = [];
      for (const received of files) {
        if (!received.ok) {
          entries.push({ filename: received.filename, error: received.problem.toProblem(undefined) });
          continue;
        }
        try {
          const outcome = await acceptFile(received.file, uploadOptions, undefined, request);
          entries.push(outcome.body);
        } catch (error) {
          // A file past the tenant's cap is refused on its own (429 in its entry); the files before it stand.
          await discard(storage, received.file.key, request);
          const problem = domainProblem(error) ?? dependencyProblem(error) ?? (error instanceof HttpProblem ? error : undefined);
          if (!problem) request.log.error({ err: error }, 'unexpected error accepting one of several files');
          entries.push({ filename: received.file.filename, error: (problem ?? internalError()).toProblem(undefined) });
        }
      }
      return reply.code(202).send({ uploads: entries });
    },
  );

  /**
   * Records one stored file as an upload and queues it (or answers with an earlier identical upload
   * under dedupe). The bytes are the caller's to delete if this throws.
   */
  async function acceptFile(
    file: StoredFile,
    uploadOptions: UploadOptions,
    idempotency: { key: string; fingerprint: string } | undefined,
    request: FastifyRequest,
  ): Promise<Accepted> {
    return accept({ kind: 'file', file }, uploadOptions, idempotency, request);
  }

  async function accept(
    source: { kind: 'file'; file: StoredFile } | { kind: 'url'; url: string; filename: string },
    uploadOptions: UploadOptions,
    idempotency: { key: string; fingerprint: string } | undefined,
    request: FastifyRequest,
  ): Promise<Accepted> {
    // A reused Idempotency-Key and the tenant's cap are the caller's to answer; anything else means the database failed.
    const storeFailed = (error: unknown): never => {
      if (error instanceof IdempotencyKeyUsedError || error instanceof TooManyUnfinishedUploadsError) throw error;
      return unavailable('The database')(error);
    };
    const file = source.kind === 'file' ? source.file : undefined;
    if (uploadOptions.dedupe && file) {
      const existing = await uploads.findSucceededBySha256(request.tenantId, file.sha256).catch(storeFailed);
      if (existing) {
        await discard(storage, file.key, request);
        const statusUrl = `/v1/uploads/${existing.id}`;
        return { id: existing.id, statusUrl, replayed: true, headers: { 'hoist-deduplicated': 'true' }, body: { id: existing.id, status: existing.status, statusUrl } };
      }
    }
    const id = newUploadId();
    const publicId = derivePublicId(id, request.tenantId, uploadOptions);
    if (publicId.length > MAX_PUBLIC_ID_LENGTH) {
      throw new HttpProblem(
        400,
        'invalid-field',
        'Invalid field',
        `publicId: with the tenant folder ("${request.tenantId}/") and the folder, the public id must be at most ${MAX_PUBLIC_ID_LENGTH} characters`,
        { field: 'publicId' },
      );
    }
    const upload = await uploads
      .create(
        {
          id,
          tenantId: request.tenantId,
          ...(file
            ? { filename: file.filename, bytes: file.bytes, contentType: file.contentType, sha256: file.sha256, storageKey: file.key }
            : { filename: source.kind === 'url' ? source.filename : 'upload', sourceUrl: source.kind === 'url' ? source.url : '' }),
          publicId,
          tags: uploadOptions.tags,
          metadata: uploadOptions.metadata ?? null,
          resourceType: uploadOptions.resourceType ?? 'auto',
          eager: uploadOptions.eager,
        },
        { idempotency, maxUnfinished: options.limits?.maxUnfinishedUploads },
      )
      .catch(storeFailed);
    // Its own logger, not the request's: a request with several files accepts several uploads.
    const log = request.log.child({ uploadId: upload.id, tenantId: upload.tenantId, jobId: upload.id });
    try {
      await enqueueFairly({ uploads, queue }, upload);
      await uploads.markEnqueued(upload.id);
    } catch (error) {
      // The upload is safe in Postgres and temp storage: it stays in the outbox and is enqueued as
      // soon as Redis is back (the outbox relay), so the client still gets its 202.
      log.warn({ err: error }, 'upload accepted; the outbox relay will enqueue it');
    }
    log.info({ bytes: upload.bytes, contentType: upload.contentType, fromUrl: upload.sourceUrl !== null }, 'upload accepted');
    options.metrics?.uploadsAccepted.inc();
    if (file) options.metrics?.bytesIngested.inc(file.bytes);
    const statusUrl = `/v1/uploads/${upload.id}`;
    return { id: upload.id, statusUrl, replayed: false, headers: {}, body: { id: upload.id, status: upload.status, statusUrl } };
  }

  app.get<{ Params: { id: string }; Querystring: { wait?: number } }>(
    '/uploads/:id',
    {
      schema: {
        summary: 'Get an upload',
        description: 'With `wait=N`, answers as soon as the upload is final, or after N seconds with its status then.',
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS } } },
        response: { 200: uploadViewSchema, ...problemResponses(400, 401, 404, 429, 503) },
      },
    },
    async (request, reply: FastifyReply) => {
      const { id } = request.params;
      const find = () => uploads.find(id, { tenantId: request.tenantId }).catch(unavailable('The database'));
      let upload = await findOwnUpload(uploads, request.tenantId, id);
      const waitMs = (request.query.wait ?? 0) * 1000;
      if (waitMs > 0 && !FINAL_STATUSES.includes(upload.status)) {
        const deadline = Date.now() + waitMs;
        // Aborts when the client goes away or its key is revoked; 429 here when the tenant is at its cap.
        const gone = await holdStream(request, reply, options.streams);
        try {
          while (!FINAL_STATUSES.includes(upload.status) && Date.now() < deadline && !gone.signal.aborted) {
            // Listen before re-reading, so a change between the read and the wait is not missed; and
            // re-read at least every few seconds, so a lost announcement costs a delay, not the answer.
            const changed = waitForChange(id, Math.min(deadline - Date.now(), RECHECK_MS), gone.signal);
            upload = (await find()) ?? upload;
            if (FINAL_STATUSES.includes(upload.status)) break;
            await changed;
            upload = (await find()) ?? upload;
          }
        } finally {
          await gone.release();
        }
        if (gone.revoked) throw keyRevoked(reply);
      }
      return reply.send(toUploadView(upload));
    },
  );
}

/** Idempotency-Key: 1–255 visible ASCII characters (RFC 9110 token-ish; keys are opaque to us). */
function parseIdempotencyKey(header: string | string[] | undefined): string | undefined {
  if (header === undefined) return undefined;
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || (Array.isArray(header) && header.length > 1) || !/^[\x21-\x7e]{1,255}$/.test(value)) {
    throw new HttpProblem(400, 'invalid-header', 'Invalid header', 'Idempotency-Key must be one value of 1–255 visible ASCII characters.', {
      header: 'Idempotency-Key',
    });
  }
  return value;
}

/** What makes two requests "the same" for Idempotency-Key: every field, the filename and the bytes. */
function fingerprint(fields: ReadonlyMap<string, string>, file: Pick<StoredFile, 'filename' | 'sha256'>): string {
  const canonical = JSON.stringify({ fields: [...fields].sort(([a], [b]) => a.localeCompare(b)), filename: file.filename, sha256: file.sha256 });
  return createHash('sha256').update(canonical).digest('hex');
}

/** Answers a repeated Idempotency-Key: the original upload for the same request, 422 for another. */
async function replay(used: IdempotencyKeyUsedError, uploads: UploadRepository, request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
  if (!used.sameRequest) {
    throw new HttpProblem(422, 'idempotency-key-reused', 'Idempotency-Key reused', 'This Idempotency-Key was already used with a different request; use a new key for a new upload.');
  }
  const statusUrl = `/v1/uploads/${used.uploadId}`;
  bindUploadLog(request, reply, { uploadId: used.uploadId, tenantId: request.tenantId });
  const original = await uploads.find(used.uploadId, { tenantId: request.tenantId });
  return reply
    .code(200)
    .header('location', statusUrl)
    .header('idempotent-replayed', 'true')
    .send({ id: used.uploadId, status: original?.status ?? 'queued', statusUrl });
}

/** What every posted file is inspected against: `MAX_UPLOAD_BYTES`, `ALLOWED_CONTENT_TYPES`, `ALLOW_ACTIVE_SVG`. */
interface IntakeRules {
  maxBytes: number;
  allowed: ReadonlySet<string>;
  policy: InspectorPolicy;
}

/** One file of a multipart body: stored, or refused with the problem that says why. */
type ReceivedFile = { ok: true; file: StoredFile } | { ok: false; filename: string; problem: HttpProblem };

/**
 * Reads the multipart body: every field into a map, and the files — one in `file`, or one or more
 * in `files` — streamed through the inspector into temp storage. With `file`, any problem fails
 * the request; with `files`, a file the inspector refuses (too large, unsupported, empty) is
 * reported in its own entry and the others go on. On a failure of the request itself, whatever was
 * stored is deleted before throwing.
 */
async function receiveParts(
  request: FastifyRequest,
  reply: FastifyReply,
  storage: TempStorage,
  intake: IntakeRules,
): Promise<{ mode: 'file' | 'files'; files: ReceivedFile[]; fields: Map<string, string> }> {
  const fields = new Map<string, string>();
  const files: ReceivedFile[] = [];
  let mode: 'file' | 'files' | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (fields.has(part.fieldname)) {
          throw new HttpProblem(400, 'invalid-field', 'Invalid field', `${part.fieldname}: given more than once`, { field: part.fieldname });
        }
        const value = typeof part.value === 'string' ? part.value : String(part.value);
        assertStorable(part.fieldname, value);
        fields.set(part.fieldname, value);
        continue;
      }
      if (part.fieldname !== 'file' && part.fieldname !== 'files') {
        part.file.resume();
        throw new HttpProblem(400, 'invalid-field', 'Invalid field', `${part.fieldname}: files go in the field "file" (one) or "files" (several)`, {
          field: part.fieldname,
        });
      }
      if (mode && mode !== part.fieldname) {
        part.file.resume();
        throw new HttpProblem(400, 'invalid-field', 'Invalid field', 'Send either one "file" or one or more "files", not both.', { field: part.fieldname });
      }
      mode = part.fieldname;
      if (mode === 'file' && files.length > 0) {
        part.file.resume();
        throw new HttpProblem(400, 'too-many-files', 'Too many files', 'Send exactly one file in the field "file", or several in "files".');
      }
      if (mode === 'file') {
        files.push({ ok: true, file: await storeFile(part, storage, intake) });
        continue;
      }
      try {
        files.push({ ok: true, file: await storeFile(part, storage, intake) });
      } catch (error) {
        const problem = toIntakeProblem(error);
        if (!(problem instanceof HttpProblem) || problem.status >= 500 || !(error instanceof IntakeError || error instanceof HttpProblem)) throw error;
        // The refused part was cut short; let the parser skip the rest of it and go on.
        part.file.resume();
        files.push({ ok: false, filename: sanitizeFilename(part.filename), problem });
      }
    }
  } catch (error) {
    discardRestOfBody(request, reply);
    for (const received of files) if (received.ok) await discard(storage, received.file.key, request);
    throw toIntakeProblem(error);
  }
  if (!mode) throw new HttpProblem(400, 'missing-file', 'Missing file', 'Send the file in a multipart field named "file" (or several in "files").');
  return { mode, files, fields };
}

async function storeFile(part: MultipartFile, storage: TempStorage, intake: IntakeRules): Promise<StoredFile> {
  const inspector = new UploadInspector(intake.maxBytes, intake.allowed, intake.policy);
  // Not pipeline(): on a refusal it would destroy the part's stream, and @fastify/multipart ends the
  // whole iteration when a part is destroyed before its end, so every later file of a "files"
  // request would vanish without an entry (once the part is larger than what is already buffered,
  // ~128 KiB). A refused part is unpiped and drained instead, and parsing goes on. A broken request
  // body (client gone, malformed multipart) still fails the write through the inspector; and the
  // inspector's own error has a listener here, so it never surfaces as an unhandled 'error' event
  // (storage.write reports it).
  const source = part.file;
  // An error, or a close before the part's end (a truncated body), fails the write.
  finished(source, (error) => {
    if (error) inspector.destroy(error);
  });
  inspector.on('error', () => {
    source.unpipe(inspector);
    source.resume();
  });
  source.pipe(inspector);
  const { key } = await storage.write(inspector);
  const measured = inspector.result();
  if (measured.bytes === 0 || !measured.contentType) {
    await storage.delete(key);
    throw new HttpProblem(400, 'empty-file', 'Empty file', 'The file is empty.');
  }
  return { key, filename: sanitizeFilename(part.filename), bytes: measured.bytes, sha256: measured.sha256, contentType: measured.contentType };
}

/**
 * Deletes a refused upload's bytes. A failure here must not replace the client's real answer (a
 * 4xx, or 503) with a 500, so it is logged with the key of the orphaned object instead.
 */
async function discard(storage: TempStorage, key: string, request: FastifyRequest): Promise<void> {
  await storage.delete(key).catch((error: unknown) => request.log.error({ err: error, storageKey: key }, 'could not delete a refused upload'));
}

/**
 * After refusing a body midway, read and discard what the client is still sending: the multipart
 * parser stopped pulling, so without this the socket would stall (and block graceful shutdown).
 * `Connection: close` ends the socket once the answer is out instead of reusing a dirty connection.
 */
function discardRestOfBody(request: FastifyRequest, reply: FastifyReply): void {
  request.raw.unpipe();
  request.raw.resume();
  reply.header('connection', 'close');
}

/** Maps what can go wrong while reading the body onto the right 4xx (or 503 for our own storage). */
function toIntakeProblem(error: unknown): unknown {
  if (error instanceof HttpProblem) return error;
  if (error instanceof ActiveSvgError) {
    return new HttpProblem(415, 'active-svg', 'Active SVG refused', error.message, { detectedType: error.contentType ?? null, reason: error.finding });
  }
  if (error instanceof IntakeError) {
    return error.reason === 'too-large'
      ? new HttpProblem(413, 'file-too-large', 'File too large', error.message)
      : new HttpProblem(415, 'unsupported-file-type', 'Unsupported file type', `${error.message} Accepted: images, video (mp4, webm, mov) and PDF.`, {
          detectedType: error.contentType ?? null,
        });
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) return error;
  if ((error as { syscall?: unknown }).syscall !== undefined) return new DependencyUnavailableError('Temporary storage', error);
  // busboy reports a malformed or truncated body as a plain Error.
  return new HttpProblem(400, 'malformed-multipart', 'Malformed multipart body', (error as Error).message || 'The multipart body could not be parsed.');
}
