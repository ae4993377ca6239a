import { acceptUpload, FINAL_STATUSES, requestFingerprint, type UploadSource } from '@hoist/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { acceptAnswer } from '../accept-answer.js';
import { domainProblem } from '../domain-problems.js';
import { parseIdempotencyKey } from '../idempotency-key.js';
import { acceptDeps, intakeRules, type IngestOptions } from '../ingest.js';
import { jsonBodyAjv } from '../json-body.js';
import { pollingWait, waitUntilFinal, type WaitForChange } from '../long-poll.js';
import { discard, receiveParts } from '../multipart-intake.js';
import { findOwnUpload } from '../own-upload.js';
import { bindUploadLog } from '../plugins/upload-log.js';
import { dependencyProblem, HttpProblem, internalError, problemResponses } from '../problem.js';
import { holdStream, keyRevoked, type StreamLimits } from '../stream-guard.js';
import { parseUploadOptions, type UploadOptions } from '../upload-options.js';
import { uploadViewSchema } from '../upload-view.js';
import type { UploadViewCache } from '../upload-view-cache.js';
import { parseUrlUpload, urlUploadBodySchema } from '../url-upload.js';
import { sendView, serializedView, UPLOAD_CACHE_CONTROL } from '../view-response.js';

/** Longest long-poll, seconds. */
const MAX_WAIT_SECONDS = 60;

export interface UploadRoutesOptions extends IngestOptions {
  /** How long-polls learn of status changes (RedisUploadEvents.next); default: re-reading every 0.5 s. */
  waitForChange?: WaitForChange | undefined;
  /** `URL_FETCH_ALLOW`: hosts URL uploads may name although the address policy refuses them. */
  urlFetchAllow?: readonly string[] | undefined;
  /** Cap on a tenant's open long-polls and streams, and how often their key is re-checked; default: no cap, 30 s. */
  streams?: StreamLimits | undefined;
  /** Views of final uploads kept between reads (see UploadViewCache); default: every GET reads Postgres. */
  viewCache?: UploadViewCache | undefined;
}

/** JSON bodies (`application/json`, with any parameters) are URL uploads. */
function isJson(request: FastifyRequest): boolean {
  const type = (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json';
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

/**
 * POST /v1/uploads and GET /v1/uploads/:id. Registered under the /v1 prefix. Wiring only: the body
 * is read by the multipart intake or parseUrlUpload, the upload is accepted by core's acceptUpload,
 * and its outcome becomes HTTP in acceptAnswer.
 */
export function uploadRoutes(app: FastifyInstance, options: UploadRoutesOptions): void {
  const { uploads, storage } = options;
  const intake = intakeRules(options);
  const waitForChange = options.waitForChange ?? pollingWait;

  /** Accepts one upload and answers for it (a refusal is thrown, for the error handler). */
  async function acceptOne(request: FastifyRequest, reply: FastifyReply, source: UploadSource, uploadOptions: UploadOptions, idempotency: { key: string; fingerprint: string } | undefined) {
    const answer = acceptAnswer(await acceptUpload(acceptDeps(options, request.log), { tenantId: request.tenantId, tenantProvider: request.tenantProvider, source, options: uploadOptions, idempotency }), request.tenantId);
    if (answer instanceof HttpProblem) throw answer;
    bindUploadLog(request, reply, { uploadId: answer.uploadId, tenantId: request.tenantId });
    return reply.code(answer.status).headers(answer.headers).send(answer.body);
  }

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
        const idempotency = idempotencyKey
          ? { key: idempotencyKey, fingerprint: requestFingerprint({ fields: source.fields, filename: source.filename, content: { url: source.url } }) }
          : undefined;
        return acceptOne(request, reply, { kind: 'url', url: source.url, filename: source.filename }, uploadOptions, idempotency);
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
        for (const file of stored) await discard(storage, file.storageKey, request);
        throw error;
      }

      if (mode === 'file') {
        const [file] = stored;
        if (!file) throw new HttpProblem(400, 'missing-file', 'Missing file', 'Send the file in a multipart field named "file".');
        const idempotency = idempotencyKey ? { key: idempotencyKey, fingerprint: requestFingerprint({ fields, filename: file.filename, content: { sha256: file.sha256 } }) } : undefined;
        return acceptOne(request, reply, { kind: 'stored', filename: file.filename, stored: file }, uploadOptions, idempotency);
      }

      // Several files: one entry each, an accepted upload or the problem that refused that file; a
      // file past the tenant's cap is refused on its own (429 in its entry) and the files before it stand.
      const entries: unknown[] = [];
      for (const received of files) {
        if (!received.ok) {
          entries.push({ filename: received.filename, error: received.problem.toProblem(undefined) });
          continue;
        }
        const { file } = received;
        try {
          const answer = acceptAnswer(await acceptUpload(acceptDeps(options, request.log), { tenantId: request.tenantId, tenantProvider: request.tenantProvider, source: { kind: 'stored', filename: file.filename, stored: file }, options: uploadOptions }), request.tenantId);
          entries.push(answer instanceof HttpProblem ? { filename: file.filename, error: answer.toProblem(undefined) } : answer.body);
        } catch (error) {
          const problem = domainProblem(error) ?? dependencyProblem(error);
          if (!problem) request.log.error({ err: error }, 'unexpected error accepting one of several files');
          entries.push({ filename: file.filename, error: (problem ?? internalError(request.id)).toProblem(undefined) });
        }
      }
      return reply.code(202).send({ uploads: entries });
    },
  );

  app.get<{ Params: { id: string }; Querystring: { wait?: number } }>(
    '/uploads/:id',
    {
      schema: {
        summary: 'Get an upload',
        description: `With \`wait=N\`, answers as soon as the upload is final, or after N seconds with its status then. Carries a strong \`ETag\` and \`Cache-Control: ${UPLOAD_CACHE_CONTROL}\`; with \`If-None-Match\` naming the current ETag it answers \`304\` without a body.`,
        tags: ['uploads'],
        params: { type: 'object', properties: { id: { type: 'string' } } },
        querystring: { type: 'object', additionalProperties: false, properties: { wait: { type: 'integer', minimum: 0, maximum: MAX_WAIT_SECONDS } } },
        response: { 200: uploadViewSchema, 304: { description: 'Not modified: the If-None-Match ETag is current.', type: 'null' }, ...problemResponses(400, 401, 404, 429, 503) },
      },
    },
    async (request, reply: FastifyReply) => {
      const { id } = request.params;
      const { viewCache } = options;
      const waitMs = (request.query.wait ?? 0) * 1000;
      // A final upload polled again: served from memory (see UploadViewCache for how stale it may be).
      const cached = viewCache?.get(id, request.tenantId);
      if (cached) return sendView(request, reply, cached);
      const mark = viewCache?.mark();
      let upload = await findOwnUpload(uploads, request.tenantId, id);
      if (waitMs > 0 && !FINAL_STATUSES.includes(upload.status)) {
        // Aborts when the client goes away or its key is revoked; 429 here when the tenant is at its cap.
        const gone = await holdStream(request, reply, options.streams);
        try {
          upload = await waitUntilFinal(upload, () => uploads.find(id, { tenantId: request.tenantId }), waitForChange, { deadline: Date.now() + waitMs, signal: gone.signal });
        } finally {
          await gone.release();
        }
        if (gone.revoked) throw keyRevoked(reply);
      }
      const view = serializedView(upload, (reply.getSerializationFunction('200') as ((view: unknown) => string) | undefined) ?? JSON.stringify);
      if (viewCache && mark && waitMs === 0) viewCache.remember(id, view, mark);
      return sendView(request, reply, view);
    },
  );
}
