import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { discard, uniquePath, writeFileFrom } from '../files.js';
import type { WrittenFile } from '../files.js';
import { sniff } from '../media.js';
import { applyCloudflareFaults } from './apply-faults.js';
import { deliveryBase, idPath, VARIANTS } from './cloudflare-context.js';
import type { CloudflareContext } from './cloudflare-context.js';
import { CloudflareHttpError } from './cloudflare-errors.js';
import { customIdRefusal } from './custom-id-rules.js';
import type { StoredImage } from './image-store.js';

/** Cloudflare Images' limits for stored images ("Limits and formats"): 10 MB, 12,000 px a side, 100 MP, 1,024 bytes of metadata. */
export const CLOUDFLARE_LIMITS = Object.freeze({ maxFileBytes: 10_000_000, maxDimension: 12_000, maxArea: 100_000_000, maxMetadataBytes: 1024 });

/** The formats Cloudflare Images stores (PNG, GIF, JPEG, WebP, SVG, HEIC), as the emulator's sniffer names them. */
const ACCEPTED_FORMATS: Readonly<Record<string, string>> = {
  png: 'image/png',
  gif: 'image/gif',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  svg: 'image/svg+xml',
  heic: 'image/heic',
};

/** The form fields of Cloudflare's upload (its API reference for `POST …/images/v1`). */
const FIELDS = new Set(['file', 'url', 'id', 'metadata', 'requireSignedURLs', 'creator']);

const sameSecret = (given: string, expected: string): boolean => {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
};

/**
 * Cloudflare's API token check, then the account's: a missing or wrong bearer token is a 401, an
 * account id that is not 32 hex digits cannot be routed (404, codes 7003 and 7000), and another
 * account than the emulator's is one the token may not use (403). Codes as Cloudflare's v4 API
 * answers them (10000 "Authentication error"); see docs/providers/cloudflare.md for the doubts.
 */
function authorize(context: CloudflareContext, request: FastifyRequest, account: string): void {
  const header = request.headers.authorization;
  const token = typeof header === 'string' && header.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
  if (token === undefined || !sameSecret(token, context.apiToken)) throw new CloudflareHttpError(401, 10000, 'Authentication error');
  if (!/^[0-9a-f]{32}$/.test(account)) throw noRoute(request);
  if (account !== context.accountId) throw new CloudflareHttpError(403, 10000, 'Authentication error');
}

/** Cloudflare's answer to a path it has no route for, or with an object id that cannot be one. */
function noRoute(request: FastifyRequest): CloudflareHttpError {
  return new CloudflareHttpError(404, 7003, `Could not route to ${request.url.split('?')[0] ?? ''}, perhaps your object identifier is invalid?`, { code: 7000, message: 'No route for that URI' });
}

const badRequest = (detail: string): CloudflareHttpError => new CloudflareHttpError(400, 5400, `Bad request: ${detail}`);

interface UploadFields {
  readonly fields: Map<string, string>;
  readonly file: (WrittenFile & { filename: string | undefined }) | undefined;
  readonly unknown: string[];
}

/** Reads the multipart form, the file part streamed to disk; every part is read, so an answer never cuts the body off. */
async function readUpload(context: CloudflareContext, request: FastifyRequest): Promise<UploadFields> {
  if (!request.isMultipart()) throw badRequest('the body must be multipart/form-data');
  const fields = new Map<string, string>();
  const unknown: string[] = [];
  let file: UploadFields['file'];
  try {
    for await (const part of request.parts({ limits: { fileSize: Number.POSITIVE_INFINITY } })) {
      if (!FIELDS.has(part.fieldname)) unknown.push(part.fieldname);
      if (part.type === 'file') {
        if (part.fieldname === 'file' && file === undefined) file = { ...(await writeFileFrom(part.file, uniquePath(context.tmpDir, 'cf-upload-'))), filename: part.filename || undefined };
        else part.file.resume();
      } else if (typeof part.value === 'string') {
        fields.set(part.fieldname, part.value);
      }
    }
  } catch (error) {
    await discard(file?.path);
    throw error;
  }
  return { fields, file, unknown };
}

/** `metadata`: a JSON object of at most 1,024 bytes, or absent. */
function parseMetadata(raw: string | undefined): Record<string, unknown> | undefined {
  if (raw === undefined) return undefined;
  if (Buffer.byteLength(raw) > CLOUDFLARE_LIMITS.maxMetadataBytes) throw badRequest(`metadata must not exceed ${CLOUDFLARE_LIMITS.maxMetadataBytes} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw badRequest('metadata must be a JSON object');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) throw badRequest('metadata must be a JSON object');
  return parsed as Record<string, unknown>;
}

function parseBoolean(raw: string | undefined, name: string): boolean {
  if (raw === undefined || raw === 'false') return false;
  if (raw === 'true') return true;
  throw badRequest(`${name} must be true or false`);
}

/** The checks on the file itself: present, at most 10 MB, a format Cloudflare stores, within its dimensions. */
function checkFile(upload: UploadFields): { file: NonNullable<UploadFields['file']>; contentType: string } {
  const { file } = upload;
  if (file === undefined) {
    if (upload.fields.has('url')) throw badRequest('uploads from a URL are not supported by the emulator; send the file');
    throw badRequest('a file or a url is required');
  }
  if (upload.fields.has('url')) throw badRequest('file and url are mutually exclusive');
  if (file.bytes > CLOUDFLARE_LIMITS.maxFileBytes) throw new CloudflareHttpError(413, 5413, `Image exceeds the maximum size of ${CLOUDFLARE_LIMITS.maxFileBytes} bytes`);
  const sniffed = sniff(file.head);
  const contentType = sniffed === undefined ? undefined : ACCEPTED_FORMATS[sniffed.format];
  if (sniffed === undefined || contentType === undefined) {
    throw new CloudflareHttpError(415, 5415, `Unsupported image format: uploaded images must be ${Object.keys(ACCEPTED_FORMATS).join(', ')}`);
  }
  const { width = 0, height = 0 } = sniffed;
  if (width > CLOUDFLARE_LIMITS.maxDimension || height > CLOUDFLARE_LIMITS.maxDimension) throw badRequest(`the image's dimensions exceed ${CLOUDFLARE_LIMITS.maxDimension} pixels`);
  if (width * height > CLOUDFLARE_LIMITS.maxArea) throw badRequest(`the image's area exceeds ${CLOUDFLARE_LIMITS.maxArea / 1_000_000} megapixels`);
  return { file, contentType };
}

/** An image as Cloudflare's API answers it. */
function imageAnswer(context: CloudflareContext, request: FastifyRequest, image: StoredImage): Record<string, unknown> {
  const base = deliveryBase(context, request);
  return {
    id: image.id,
    filename: image.filename,
    ...(image.meta === undefined ? {} : { meta: image.meta }),
    uploaded: image.uploaded,
    requireSignedURLs: image.requireSignedURLs,
    variants: VARIANTS.map((variant) => `${base}/${idPath(image.id)}/${variant}`),
  };
}

const success = (result: unknown): Record<string, unknown> => ({ result, success: true, errors: [], messages: [] });

interface AccountRoute {
  Params: { account: string };
}
interface ImageRoute {
  Params: { account: string; id: string };
}

/**
 * Cloudflare Images' v1 API: `POST /client/v4/accounts/:account/images/v1` (multipart: file, id,
 * metadata, requireSignedURLs, creator), `GET` and `DELETE …/images/v1/:id` (the id percent-encoded,
 * `/` as `%2F`, as the SDK sends it).
 */
export function registerImagesApi(app: FastifyInstance, context: CloudflareContext): void {
  app.post<AccountRoute>('/client/v4/accounts/:account/images/v1', async (request, reply) => {
    authorize(context, request, request.params.account);
    if (await applyCloudflareFaults(context, request, reply)) return reply;
    const upload = await readUpload(context, request);
    try {
      if (upload.unknown.length > 0) throw badRequest(`unknown field ${upload.unknown.join(', ')}`);
      const metadata = parseMetadata(upload.fields.get('metadata'));
      const requireSignedURLs = parseBoolean(upload.fields.get('requireSignedURLs'), 'requireSignedURLs');
      const id = upload.fields.get('id');
      if (id !== undefined) {
        const refusal = customIdRefusal(id);
        if (refusal !== undefined) throw badRequest(refusal);
        // "Images with custom ID paths cannot be made private using signed URL tokens" (Cloudflare's docs).
        if (requireSignedURLs) throw badRequest('images with a custom id cannot require signed URLs');
      }
      const creator = upload.fields.get('creator');
      if (creator !== undefined && creator.length > 1024) throw badRequest('creator must be at most 1024 characters');
      const { file, contentType } = checkFile(upload);
      context.stats.countUpload();
      const image = await context.store.create({
        id: id ?? crypto.randomUUID(),
        filename: file.filename ?? 'image',
        meta: metadata,
        requireSignedURLs,
        contentType,
        file,
      });
      if (image === undefined) throw new CloudflareHttpError(409, 5409, 'Resource already exists');
      return success(imageAnswer(context, request, image));
    } catch (error) {
      await discard(upload.file?.path);
      throw error;
    }
  });

  app.get<ImageRoute>('/client/v4/accounts/:account/images/v1/:id', async (request, reply) => {
    authorize(context, request, request.params.account);
    if (await applyCloudflareFaults(context, request, reply)) return reply;
    const image = context.store.get(request.params.id);
    if (image === undefined) throw new CloudflareHttpError(404, 5404, 'Image not found');
    return success(imageAnswer(context, request, image));
  });

  app.delete<ImageRoute>('/client/v4/accounts/:account/images/v1/:id', async (request, reply) => {
    authorize(context, request, request.params.account);
    if (await applyCloudflareFaults(context, request, reply)) return reply;
    if (!(await context.store.remove(request.params.id))) throw new CloudflareHttpError(404, 5404, 'Image not found');
    return success({});
  });

  // Every other API path: a client aimed at a wrong base URL or API version gets Cloudflare's answer, not Cloudinary's.
  app.all('/client/v4/*', (request) => Promise.reject(noRoute(request)));
}
