import type { FastifyInstance, FastifyRequest } from 'fastify';
import { applyFaults } from './apply-faults.js';
import { assetResponse } from './asset-response.js';
import type { ResponseScope } from './asset-response.js';
import { parseContentRange } from './chunks.js';
import type { ContentRange } from './chunks.js';
import { baseUrlOf, requireCloud, resourceTypeParam } from './context.js';
import type { EmulatorContext } from './context.js';
import { HttpError } from './errors.js';
import { discard } from './files.js';
import { readForm } from './form.js';
import type { ReceivedFile, UploadForm } from './form.js';
import { ingest } from './ingest.js';
import type { ResourceType } from './media.js';
import { authenticate } from './signature.js';

interface ApiRoute {
  Params: { cloud: string; resource_type: string };
}

function scopeOf(context: EmulatorContext, request: FastifyRequest): ResponseScope {
  return { cloudName: context.cloudName, apiKey: context.apiKey, apiSecret: context.apiSecret, baseUrl: baseUrlOf(context, request) };
}

function authenticated(context: EmulatorContext, form: UploadForm): void {
  const auth = authenticate(form.params, context);
  if (!auth.ok) throw new HttpError(auth.status, auth.message);
}

/** The chunk a request carries, when it is part of a chunked upload (X-Unique-Upload-Id set). */
function chunkOf(request: FastifyRequest): { uploadId: string; range: ContentRange } | undefined {
  const uploadId = request.headers['x-unique-upload-id'];
  if (uploadId === undefined) return undefined;
  if (typeof uploadId !== 'string' || uploadId === '' || uploadId.length > 255) throw new HttpError(400, 'Invalid X-Unique-Upload-Id header');
  const header = request.headers['content-range'];
  const range = header === undefined ? undefined : parseContentRange(header);
  if (range === undefined) throw new HttpError(400, `Invalid Content-Range header ${header ?? '(missing)'}`);
  return { uploadId, range };
}

async function upload(context: EmulatorContext, requested: ResourceType | 'auto', form: UploadForm, scope: ResponseScope): Promise<Record<string, unknown>> {
  if (form.file === undefined) throw new HttpError(400, 'Missing required parameter - file');
  const { asset, existing } = await ingest(context.store, requested, form.params, form.file);
  return { ...assetResponse(asset, scope), ...(existing ? { existing: true } : {}) };
}

/**
 * One chunk of `upload_large`/`upload_chunked_stream`. Chunks of an id are handled one at a time;
 * an earlier range sent again replaces itself. Until every byte of the declared total is in, the
 * answer is `{"done":false}` (the SDK only looks for `error`); the request that completes the file
 * gets the full upload response with `done: true`, and so does any later retry of a chunk.
 */
async function uploadChunk(
  context: EmulatorContext,
  chunk: { uploadId: string; range: ContentRange },
  requested: ResourceType | 'auto',
  form: UploadForm,
  scope: ResponseScope,
): Promise<Record<string, unknown>> {
  return context.chunks.run(chunk.uploadId, async () => {
    const finished = context.chunks.completedResponse(chunk.uploadId);
    if (finished !== undefined) return finished;
    if (form.file === undefined) throw new HttpError(400, 'Missing required parameter - file');
    const { complete, received } = await context.chunks.put(chunk.uploadId, chunk.range, form.file);
    if (!complete) return { done: false, bytes_received: received };
    const assembled = await context.chunks.assemble(chunk.uploadId);
    const file: ReceivedFile = { ...assembled, filename: form.file.filename, mediaType: undefined };
    try {
      const response = { ...(await upload(context, requested, { params: form.params, file }, scope)), done: true };
      context.chunks.finish(chunk.uploadId, response);
      return response;
    } catch (error) {
      await discard(file.path);
      throw error;
    }
  });
}

/** `POST /v1_1/:cloud/:resource_type/upload` and `…/destroy`. */
export function registerUploadApi(app: FastifyInstance, context: EmulatorContext): void {
  app.post<ApiRoute>('/v1_1/:cloud/:resource_type/upload', async (request, reply) => {
    context.stats.countUpload();
    requireCloud(context, request.params.cloud);
    const requested = resourceTypeParam(request.params.resource_type, true);
    if (await applyFaults(context, request, reply)) return reply;

    const form = await readForm(request, context.store.tmpDir);
    try {
      authenticated(context, form);
      const chunk = chunkOf(request);
      const scope = scopeOf(context, request);
      return chunk === undefined ? await upload(context, requested, form, scope) : await uploadChunk(context, chunk, requested, form, scope);
    } finally {
      // Committed files have been moved away by now, so this only removes rejected ones.
      await discard(form.file?.path);
    }
  });

  app.post<ApiRoute>('/v1_1/:cloud/:resource_type/destroy', async (request) => {
    requireCloud(context, request.params.cloud);
    const resourceType = resourceTypeParam(request.params.resource_type, false);
    const form = await readForm(request, context.store.tmpDir);
    await discard(form.file?.path);
    authenticated(context, form);
    const publicId = form.params['public_id'];
    if (typeof publicId !== 'string' || publicId === '') throw new HttpError(400, 'Missing required parameter - public_id');
    const type = form.params['type'];
    const removed = (type === undefined || type === 'upload') && (await context.store.remove(resourceType, publicId));
    return { result: removed ? 'ok' : 'not found' };
  });
}
