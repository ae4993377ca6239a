import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ImageKitError } from './answers.js';
import { applyFaults } from './apply-faults.js';
import { authenticate } from './auth.js';
import type { ImageKitContext } from './context.js';
import { fileDetails, urlEndpoint } from './file-response.js';
import type { StoredFile } from './file-store.js';
import { parseSearchQuery } from './search-query.js';

interface FileRoute {
  Params: { fileId: string };
}

interface ListRoute {
  Querystring: Record<string, string | undefined>;
}

/** ImageKit's answer to an id it does not know. */
const NO_SUCH_FILE = 'The requested file does not exist.';

function knownFile(context: ImageKitContext, fileId: string): StoredFile {
  const stored = context.files.byId(fileId);
  if (stored === undefined) throw new ImageKitError(404, NO_SUCH_FILE);
  return stored;
}

function integer(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(value) || number < min || number > max) throw new ImageKitError(400, `Invalid ${name}. It should be an integer between ${min} and ${max}.`);
  return number;
}

/** `/a/b` and `a/b/` alike → `/a/b` (`/` at the root). */
function folderPath(path: string): string {
  return `/${path.split('/').filter((segment) => segment !== '').join('/')}`;
}

function folderOf(stored: StoredFile): string {
  return stored.filePath.slice(0, stored.filePath.lastIndexOf('/')) || '/';
}

/** `GET /v1/files`: the files of a folder (`path`), filtered by `searchQuery`, `type` and `fileType`, paged by `skip` and `limit`. */
function listFiles(context: ImageKitContext, request: FastifyRequest<ListRoute>): Record<string, unknown>[] {
  const query = request.query;
  const limit = integer(query['limit'], 'limit', 1000, 1, 1000);
  const skip = integer(query['skip'], 'skip', 0, 0, Number.MAX_SAFE_INTEGER);
  const type = query['type'] ?? 'file';
  if (!['file', 'file-version', 'folder', 'all'].includes(type)) throw new ImageKitError(400, 'Invalid type. It should be one of file, file-version, folder, all.');
  const fileType = query['fileType'] ?? 'all';
  if (!['all', 'image', 'non-image'].includes(fileType)) throw new ImageKitError(400, 'Invalid fileType. It should be one of all, image, non-image.');
  const search = query['searchQuery'] === undefined || query['searchQuery'].trim() === '' ? undefined : parseSearchQuery(query['searchQuery']);
  const folder = query['path'] === undefined ? undefined : folderPath(query['path']);
  // The emulator has no folder objects; and with a searchQuery, ImageKit ignores `type`.
  const wantsFiles = search !== undefined || type === 'file' || type === 'all';
  const endpoint = urlEndpoint(context, request);
  return context.files
    .list()
    .filter((stored) => wantsFiles && (folder === undefined || folderOf(stored) === folder))
    .filter((stored) => fileType === 'all' || stored.fileType === fileType)
    .filter((stored) => search === undefined || search(stored))
    .slice(skip, skip + limit)
    .map((stored) => fileDetails(stored, endpoint));
}

/**
 * The media API paths the SDK uses to find and delete files (`/v1/files…`), and the custom
 * metadata fields (`/v1/customMetadataFields`) uploads may set. Every request is authenticated and
 * subject to the rate limiter.
 */
export function registerMediaApi(app: FastifyInstance, context: ImageKitContext): void {
  app.addHook('preHandler', async (request, reply) => {
    context.stats.countRequest();
    if (await applyFaults(context, request, reply, true)) return reply;
    authenticate(request, context.privateKey);
    return undefined;
  });

  app.get<ListRoute>('/v1/files', (request) => listFiles(context, request));

  app.get<FileRoute>('/v1/files/:fileId/details', (request) => fileDetails(knownFile(context, request.params.fileId), urlEndpoint(context, request)));

  app.delete<FileRoute>('/v1/files/:fileId', async (request, reply) => {
    if (!(await context.files.remove(request.params.fileId))) throw new ImageKitError(404, NO_SUCH_FILE);
    return reply.code(204).send();
  });

  app.get('/v1/customMetadataFields', () => context.fields.list());

  app.post('/v1/customMetadataFields', (request, reply) => reply.code(201).send(context.fields.create(request.body)));
}
