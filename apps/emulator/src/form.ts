import { Readable } from 'node:stream';
import type { FastifyRequest } from 'fastify';
import { HttpError } from './errors.js';
import { discard, uniquePath, writeFileFrom } from './files.js';
import type { ReceivedFile } from './files.js';
import { fetchRemote } from './remote.js';
import type { ParamValue } from './signature.js';

/** An Upload API request body: its parameters and, when sent, the file already on disk. */
export interface UploadForm {
  readonly params: Record<string, ParamValue>;
  readonly file: ReceivedFile | undefined;
}

/** Generous enough for data URIs of real images; the file part itself streams to disk unbounded. */
export const MAX_FIELD_BYTES = 100 * 1024 * 1024;

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value) ?? '';
}

/** Adds a field; `key[]` fields (how the SDK sends arrays) accumulate into an array under `key`. */
function addParam(params: Record<string, ParamValue>, name: string, value: unknown): void {
  if (name.endsWith('[]')) {
    const key = name.slice(0, -2);
    const existing = params[key];
    const values = Array.isArray(value) ? value.map(text) : [text(value)];
    params[key] = [...(typeof existing === 'string' ? [existing] : (existing ?? [])), ...values];
  } else {
    params[name] = Array.isArray(value) ? value.map(text) : text(value);
  }
}

async function readMultipart(request: FastifyRequest, tmpDir: string): Promise<UploadForm> {
  const params: Record<string, ParamValue> = Object.create(null) as Record<string, ParamValue>;
  let file: ReceivedFile | undefined;
  try {
    for await (const part of request.parts({ limits: { fieldSize: MAX_FIELD_BYTES, fileSize: Number.POSITIVE_INFINITY } })) {
      if (part.type === 'field') {
        addParam(params, part.fieldname, part.value);
      } else if (part.fieldname === 'file' && file === undefined) {
        const written = await writeFileFrom(part.file, uniquePath(tmpDir, 'upload-'));
        file = { ...written, filename: part.filename || undefined, mediaType: undefined };
      } else {
        part.file.resume();
      }
    }
  } catch (error) {
    await discard(file?.path);
    throw error;
  }
  return { params, file };
}

function readBody(body: unknown): Record<string, ParamValue> {
  const params: Record<string, ParamValue> = Object.create(null) as Record<string, ParamValue>;
  if (body === undefined || body === null) return params;
  if (typeof body !== 'object' || Array.isArray(body)) throw new HttpError(400, 'Request body must be an object of parameters');
  for (const [name, value] of Object.entries(body)) addParam(params, name, value);
  return params;
}

const DATA_URI = /^data:([^;,]*)((?:;[^;,=]+=[^;,]*)*)(;base64)?,/i;

/**
 * The file a request names in its `file` parameter rather than sending as a part: a data URI is
 * decoded to `tmpDir`, an http(s) URL fetched there (internal hosts only when in `fetchAllow`).
 * Call only after the request is authorized: fetching is work done on the caller's behalf.
 */
export async function fileFromParam(value: ParamValue | undefined, tmpDir: string, fetchAllow: ReadonlySet<string>): Promise<ReceivedFile | undefined> {
  if (value === undefined || value === '') return undefined;
  if (typeof value !== 'string') throw new HttpError(400, 'Invalid file parameter - expected a single value');
  const match = DATA_URI.exec(value);
  if (match === null) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return fetchRemote(value, fetchAllow, tmpDir);
    throw new HttpError(400, 'Invalid file parameter - expected file bytes, a data URI or a URL');
  }
  const payload = value.slice(match[0].length);
  let bytes: Buffer;
  try {
    bytes = match[3] === undefined ? Buffer.from(decodeURIComponent(payload), 'utf8') : Buffer.from(payload, 'base64');
  } catch {
    throw new HttpError(400, 'Invalid file parameter - malformed data URI');
  }
  const written = await writeFileFrom(Readable.from([bytes]), uniquePath(tmpDir, 'datauri-'));
  return { ...written, filename: undefined, mediaType: match[1] === '' ? undefined : match[1]?.toLowerCase() };
}

/**
 * Reads an Upload API body: multipart (the SDK's form, file part streamed to `tmpDir`), JSON or
 * url-encoded. A file sent as a `file` parameter (data URI, URL) is left to {@link fileFromParam}.
 * The caller owns the returned file and must commit or discard it.
 */
export async function readForm(request: FastifyRequest, tmpDir: string): Promise<UploadForm> {
  return request.isMultipart() ? await readMultipart(request, tmpDir) : { params: readBody(request.body), file: undefined };
}
