import type { FastifyInstance, FastifyRequest } from 'fastify';
import { applyFaults } from './apply-faults.js';
import { assetResponse } from './asset-response.js';
import type { ResponseScope } from './asset-response.js';
import { parseContentRange } from './chunks.js';
import type { ContentRange } from './chunks.js';
import { authorizeUpload, requireSignature } from './authorize.js';
import { baseUrlOf, requireCloud, resourceTypeParam } from './context.js';
import type { EmulatorContext } from './context.js';
import { HttpError } from './errors.js';
import { discard } from './files.js';
import { fileFromParam, readForm } from './form.js';
import type { ReceivedFile } from './files.js';
import { ingest } from './ingest.js';
import type { ResourceType } from './media.js';
import { uploadOptions } from './upload-params.js';
import type { UploadOptions } from './upload-params.js';

/** Cloudinary's limit for a file sent in one request; larger files must go in chunks (upload_large). */
export const MAX_SINGLE_REQUEST_BYTES = 100 * 1024 * 1024;

interface ApiRoute {
  Params: { cloud: string; resource_type: string };
}

function scopeOf(context: EmulatorContext, request: FastifyRequest): ResponseScope {
  const baseUrl = baseUrlOf(context, request);
  const { cloudName, apiKey, apiSecret, signatureAlgorithm } = context;
  return { cloudName, apiKey, apiSecret, signatureAlgorithm, baseUrl, secureBaseUrl: context.secureUrl ?? baseUrl };
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

/** What an authorized upload request asks for. */
interface UploadCall {
  readonly requested: ResourceType | 'auto';
  readonly options: UploadOptions;
  readonly scope: ResponseScope;
}

async function upload(context: EmulatorContext, call: UploadCall, file: ReceivedFile): Promise<Record<string, unknown>> {
  const { asset, existing } = await ingest(context.store, call.requested, call.options, file);
  return { ...assetResponse(asset, call.scope), ...(existing ? { existing: true } : {}) };
}

function singleRequestFile(file: ReceivedFile | undefined): ReceivedFile {
  if (file === undefined) throw new HttpError(400, 'Missing required parameter - file');
  if (file.bytes > MAX_SINGLE_REQUEST_BYTES) throw new HttpError(400, `File size too large. Got ${file.bytes}. Maximum is ${MAX_SINGLE_REQUEST_BYTES}.`);
  return file;
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
  call: UploadCall,
  part: ReceivedFile | undefined,
): Promise<Record<string, unknown>> {
  return context.chunks.run(chunk.uploadId, async () => {
    const finished = context.chunks.completedResponse(chunk.uploadId);
    if (finished !== undefined) return finished;
    if (part === undefined) throw new HttpError(400, 'Missing required parameter - file');
    const { complete, received } = await context.chunks.put(chunk.uploadId, chunk.range, part);
    if (!complete) return { done: false, bytes_received: received };
    const assembled = await context.chunks.assemble(chunk.uploadId);
    const file: ReceivedFile = { ...assembled, filename: part.filename, mediaType: undefined };
    try {
      const response = { ...(await upload(context, call, file)), done: true };
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
    let file = form.file;
    try {
      const { unsigned } = authorizeUpload(context, form.params);
      const call: UploadCall = { requested, options: uploadOptions(form.params, unsigned), scope: scopeOf(context, request) };
      const chunk = chunkOf(request);
      file ??= await fileFromParam(form.params['file'], context.store.tmpDir, context.fetchAllow);
      return chunk === undefined ? await upload(context, call, singleRequestFile(file)) : await uploadChunk(context, chunk, call, file);
    } finally {
      // Committed files have been moved away by now, so this only removes rejected ones.
      await discard(file?.path);
    }
  });

  app.post<ApiRoute>('/v1_1/:cloud/:resource_type/destroy', async (request) => {
    requireCloud(context, request.params.cloud);
    const resourceType = resourceTypeParam(request.params.resource_type, false);
    const form = await readForm(request, context.store.tmpDir);
    await discard(form.file?.path);
    requireSignature(context, form.params);
    const publicId = form.params['public_id'];
    if (typeof publicId !== 'string' || publicId === '') throw new HttpError(400, 'Missing required parameter - public_id');
    const type = form.params['type'] ?? 'upload';
    if (type !== 'upload' && type !== 'private' && type !== 'authenticated') throw new HttpError(400, `Invalid value ${String(type)} for parameter type`);
    const removed = await context.store.remove(resourceType, publicId, type);
    return { result: removed ? 'ok' : 'not found' };
  });
}
