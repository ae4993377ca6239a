import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { discard, uniquePath, writeFileFrom } from '../files.js';
import type { WrittenFile } from '../files.js';
import { contentTypeOf, extensionOf, sniff } from '../media.js';
import { ImageKitError } from './answers.js';
import { drainBody } from '../apply-faults.js';
import { applyFaults } from './apply-faults.js';
import { authenticate } from './auth.js';
import type { ImageKitContext } from './context.js';
import { uploadAnswer, urlEndpoint } from './file-response.js';
import type { FileType } from './file-store.js';

/** An upload's fields and its file, received to disk. */
interface UploadForm {
  readonly fields: Record<string, string>;
  readonly file: (WrittenFile & { readonly mime: string | undefined; readonly overLimit: boolean }) | undefined;
}

/**
 * Copies `source` on until `maxBytes` and reads (discarding) the rest, so an oversized file costs
 * no disk beyond the limit and the client still gets the answer rather than a broken pipe.
 */
async function* bounded(source: AsyncIterable<Buffer>, maxBytes: number, over: () => void): AsyncGenerator<Buffer> {
  let seen = 0;
  for await (const chunk of source) {
    seen += chunk.length;
    if (seen > maxBytes) over();
    else yield chunk;
  }
}

async function readUpload(request: FastifyRequest, context: ImageKitContext): Promise<UploadForm> {
  if (!request.isMultipart()) throw new ImageKitError(400, 'Your request is missing file parameter.');
  const fields: Record<string, string> = Object.create(null) as Record<string, string>;
  let file: UploadForm['file'];
  const receive = async (source: AsyncIterable<Buffer>, mime: string | undefined): Promise<void> => {
    let overLimit = false;
    const written = await writeFileFrom(
      bounded(source, context.maxFileBytes, () => (overLimit = true)),
      uniquePath(context.files.tmpDir, 'upload-'),
    );
    file = { ...written, mime, overLimit };
  };
  try {
    for await (const part of request.parts({ limits: { fileSize: Number.POSITIVE_INFINITY } })) {
      if (part.type === 'file') {
        if (part.fieldname === 'file' && file === undefined) await receive(part.file, part.mimetype);
        else part.file.resume();
      } else if (part.fieldname === 'file' && file === undefined && typeof part.value === 'string' && part.value !== '') {
        // The upload API also takes a URL or base64 in the `file` field; the emulator fetches no URLs.
        if (/^https?:\/\//i.test(part.value)) throw new ImageKitError(400, 'The emulator does not fetch files from URLs; send the file itself (binary or base64).');
        await receive(Readable.from([Buffer.from(part.value.replace(/^data:[^,]*;base64,/i, ''), 'base64')]), undefined);
      } else {
        fields[part.fieldname] = typeof part.value === 'string' ? part.value : String(part.value);
      }
    }
  } catch (error) {
    await discard(file?.path);
    throw error;
  }
  return { fields, file };
}

/** `true`/`false` as the upload API takes its flags; anything else is refused. */
function flag(fields: Record<string, string>, name: string, fallback: boolean): boolean {
  const value = fields[name];
  if (value === undefined) return fallback;
  if (value === 'true' || value === 'false') return value === 'true';
  throw new ImageKitError(400, `Invalid value for ${name}. It should be either true or false.`);
}

/** A file name keeps letters, digits, `.` and `-`; every other character becomes `_` (upload API reference). */
function fileNameOf(fields: Record<string, string>): string {
  const given = fields['fileName'];
  if (given === undefined || given.trim() === '') throw new ImageKitError(400, 'Missing fileName parameter for upload');
  return given.replace(/[^A-Za-z0-9.-]/g, '_');
}

/**
 * `folder` normalised to `/a/b` (`/` at the root). ImageKit documents the characters a folder may
 * hold (letters, digits, `/`, `_`, `-`) without saying what becomes of others; the emulator refuses
 * them, so that nothing passes here that might be stored elsewhere there.
 */
function folderOf(fields: Record<string, string>): string {
  const folder = (fields['folder'] ?? '/').trim();
  if (!/^[A-Za-z0-9/_-]*$/.test(folder)) throw new ImageKitError(400, `Invalid folder ${folder}. A folder name can contain letters, digits, '/', '_' and '-'.`);
  const segments = folder.split('/').filter((segment) => segment !== '');
  return `/${segments.join('/')}`;
}

/** Tags: comma-separated, all of them at most 500 characters together, no `%` (upload API reference). */
function tagsOf(fields: Record<string, string>): string[] {
  const tags = (fields['tags'] ?? '').split(',').map((tag) => tag.trim()).filter((tag) => tag !== '');
  if (tags.some((tag) => tag.includes('%'))) throw new ImageKitError(400, "Invalid tags. The '%' character is not allowed in tags.");
  if (tags.join('').length > 500) throw new ImageKitError(400, 'Invalid tags. The combined length of all tags should not exceed 500 characters.');
  return tags;
}

/** `name_<random>.ext`: what `useUniqueFileName=true` (the default) makes of a name. */
function uniqueName(name: string): string {
  const dot = name.lastIndexOf('.');
  const suffix = randomBytes(6).toString('base64url').replace(/[^A-Za-z0-9]/g, 'x');
  return dot > 0 ? `${name.slice(0, dot)}_${suffix}${name.slice(dot)}` : `${name}_${suffix}`;
}

/** What the file's bytes say it is: an image ImageKit can transform, or anything else. */
function classify(file: NonNullable<UploadForm['file']>, name: string): { fileType: FileType; mime: string; width: number | undefined; height: number | undefined } {
  const sniffed = sniff(file.head);
  if (sniffed?.resourceType === 'image' && sniffed.format !== 'pdf') {
    return { fileType: 'image', mime: contentTypeOf(sniffed.format), width: sniffed.width, height: sniffed.height };
  }
  const mime = sniffed !== undefined ? contentTypeOf(sniffed.format) : (file.mime ?? contentTypeOf(extensionOf(name)));
  return { fileType: 'non-image', mime, width: undefined, height: undefined };
}

/** `POST /api/v1/files/upload` (the upload host's path): ImageKit's server-side upload, multipart. */
export function registerUpload(app: FastifyInstance, context: ImageKitContext): void {
  app.post('/api/v1/files/upload', async (request, reply) => {
    context.stats.countRequest();
    context.stats.countUpload();
    if (await applyFaults(context, request, reply, false)) return reply;
    try {
      authenticate(request, context.privateKey);
    } catch (error) {
      await drainBody(request);
      throw error;
    }
    const form = await readUpload(request, context);
    try {
      if (form.file === undefined) throw new ImageKitError(400, 'Your request is missing file parameter.');
      const baseName = fileNameOf(form.fields);
      const folder = folderOf(form.fields);
      const unique = flag(form.fields, 'useUniqueFileName', true);
      const overwrite = flag(form.fields, 'overwriteFile', true);
      for (const name of ['isPrivateFile', 'isPublished', 'overwriteAITags', 'overwriteTags', 'overwriteCustomMetadata']) flag(form.fields, name, true);
      const tags = tagsOf(form.fields);
      const customMetadata = context.fields.parse(form.fields['customMetadata']);
      if (form.file.overLimit) {
        throw new ImageKitError(400, `Your file size exceeds the maximum upload file size limit of ${context.maxFileBytes} bytes for your plan.`);
      }
      const name = unique ? uniqueName(baseName) : baseName;
      const filePath = `${folder === '/' ? '' : folder}/${name}`;
      if (!unique && !overwrite && context.files.atPath(filePath) !== undefined) {
        throw new ImageKitError(400, 'A file with the same name already exists at the exact location. We could not overwrite it because both overwriteFile and useUniqueFileName are set to false.');
      }
      const stored = await context.files.save({ filePath, name, tags, customMetadata, ...classify(form.file, name), file: form.file });
      const responseFields = new Set((form.fields['responseFields'] ?? '').split(',').map((field) => field.trim()));
      return uploadAnswer(stored, urlEndpoint(context, request), responseFields);
    } finally {
      // Committed files have been moved away by now, so this only removes refused ones.
      await discard(form.file?.path);
    }
  });
}
