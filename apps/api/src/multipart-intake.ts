import { finished } from 'node:stream';
import type { MultipartFile } from '@fastify/multipart';
import type { FetchedBytes, TempStorage } from '@hoist/core';
import { ActiveSvgError, IntakeError, UploadInspector, type InspectorPolicy } from '@hoist/intake';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { dependencyProblem, DependencyUnavailableError, HttpProblem } from './problem.js';
import { assertStorable } from './storable-input.js';
import { sanitizeFilename } from './upload-options.js';

/**
 * Multipart intake: streams each posted file through the inspector (size limit, sha256, sniffed
 * type, active-SVG scan) into temp storage, never buffering it whole, and reads the option fields.
 * What the bytes then become is the accept use case's (acceptUpload).
 */

/** One stored file: its bytes in temp storage (`storageKey`, size, sniffed type, sha256) and its client filename, sanitised. */
export interface StoredFile extends FetchedBytes {
  filename: string;
}

/** What every posted file is inspected against: `MAX_UPLOAD_BYTES`, `ALLOWED_CONTENT_TYPES`, `ALLOW_ACTIVE_SVG`. */
export interface IntakeRules {
  maxBytes: number;
  allowed: ReadonlySet<string>;
  policy: InspectorPolicy;
}

/** One file of a multipart body: stored, or refused with the problem that says why. */
export type ReceivedFile = { ok: true; file: StoredFile } | { ok: false; filename: string; problem: HttpProblem };

/**
 * Reads the multipart body: every field into a map, and the files — one in `file`, or one or more
 * in `files` — streamed through the inspector into temp storage. With `file`, any problem fails
 * the request; with `files`, a file the inspector refuses (too large, unsupported, empty) is
 * reported in its own entry and the others go on. On a failure of the request itself, whatever was
 * stored is deleted before throwing.
 */
export async function receiveParts(
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
    for (const received of files) if (received.ok) await discard(storage, received.file.storageKey, request);
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
  return { storageKey: key, filename: sanitizeFilename(part.filename), bytes: measured.bytes, sha256: measured.sha256, contentType: measured.contentType };
}

/**
 * Deletes a refused upload's bytes. A failure here must not replace the client's real answer (a
 * 4xx, or 503) with a 500, so it is logged with the key of the orphaned object instead.
 */
export async function discard(storage: TempStorage, key: string, request: FastifyRequest): Promise<void> {
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
  // Temp storage said it cannot be reached (an object store's adapter): the error handler's 503.
  if (dependencyProblem(error)) return error;
  // The local directory's adapter lets the file system's errors through.
  if ((error as { syscall?: unknown }).syscall !== undefined) return new DependencyUnavailableError('Temporary storage', error);
  // busboy reports a malformed or truncated body as a plain Error.
  return new HttpProblem(400, 'malformed-multipart', 'Malformed multipart body', (error as Error).message || 'The multipart body could not be parsed.');
}
