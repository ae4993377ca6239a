import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { HttpError } from './errors.js';
import type { ReceivedFile } from './form.js';
import { contentTypeOf, extensionOf, formatOfMediaType, PdfPageCounter, sniff, stripExtension } from './media.js';
import type { ResourceType } from './media.js';
import type { ParamValue } from './signature.js';
import type { AssetStore, SaveResult } from './store.js';

type Params = Readonly<Record<string, ParamValue | undefined>>;

function single(params: Params, key: string): string | undefined {
  const value = params[key];
  const text = typeof value === 'string' ? value : value?.join(',');
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

function flag(params: Params, key: string, fallback: boolean): boolean {
  const value = single(params, key)?.toLowerCase();
  if (value === undefined) return fallback;
  return !(value === '0' || value === 'false');
}

function tagsOf(params: Params): string[] {
  const value = params['tags'];
  const parts = typeof value === 'string' ? value.split(',') : (value ?? []);
  return parts.map((tag) => tag.trim()).filter((tag) => tag !== '');
}

/** `key=value|key2=value2` with `\|` and `\=` escapes, as the SDK's encode_context writes it. */
export function parseContext(text: string | undefined): Record<string, string> | undefined {
  if (text === undefined) return undefined;
  const context: Record<string, string> = {};
  for (const pair of text.split(/(?<!\\)\|/)) {
    const [key, ...rest] = pair.split(/(?<!\\)=/);
    const unescape = (part: string): string => part.replace(/\\([=|])/g, '$1');
    if (key !== undefined && key.trim() !== '') context[unescape(key.trim())] = unescape(rest.join('='));
  }
  return Object.keys(context).length === 0 ? undefined : context;
}

const ID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const randomId = (): string => Array.from(randomBytes(20), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('');

const FORBIDDEN_IN_PUBLIC_ID = /[?&#\\%<>]|^\/|\/$|\/\//;

/** public_id as given (or random, Cloudinary-style), prefixed by `folder/` as in fixed-folder mode. */
function publicIdOf(params: Params): string {
  const given = single(params, 'public_id');
  const folder = single(params, 'folder')?.replace(/^\/+|\/+$/g, '');
  const base = given ?? randomId();
  const publicId = folder === undefined || folder === '' ? base : `${folder}/${base}`;
  if (FORBIDDEN_IN_PUBLIC_ID.test(publicId) || publicId.split('/').includes('..')) {
    throw new HttpError(400, `Invalid public_id ${publicId}`);
  }
  return publicId;
}

/** Most PDFs list their pages as plain `/Type /Page` objects; bigger files are not worth a scan. */
async function pdfPages(file: ReceivedFile): Promise<number> {
  if (file.bytes > 64 * 1024 * 1024) return 1;
  const counter = new PdfPageCounter();
  for await (const piece of createReadStream(file.path, { encoding: 'latin1' })) counter.push(piece as string);
  return Math.max(1, counter.total());
}

interface Classified {
  readonly resourceType: ResourceType;
  readonly format: string | undefined;
  readonly width: number | undefined;
  readonly height: number | undefined;
}

function classify(requested: ResourceType | 'auto', file: ReceivedFile): Classified {
  const sniffed = sniff(file.head);
  const resourceType = requested === 'auto' ? (sniffed?.resourceType ?? 'raw') : requested;
  if (resourceType === 'raw') {
    const format = (file.filename === undefined ? undefined : extensionOf(file.filename)) ?? (file.mediaType === undefined ? undefined : formatOfMediaType(file.mediaType));
    return { resourceType, format, width: undefined, height: undefined };
  }
  if (sniffed?.resourceType !== resourceType) {
    throw new HttpError(400, resourceType === 'image' ? 'Invalid image file' : 'Unsupported video format or file');
  }
  return { resourceType, format: sniffed.format, width: sniffed.width, height: sniffed.height };
}

/**
 * Turns a received, authenticated file into a stored asset, deciding its resource type and format
 * from its bytes (raw files: from the file name) and honouring public_id, folder, tags, context
 * and overwrite. Takes ownership of `file`.
 */
export async function ingest(store: AssetStore, requested: ResourceType | 'auto', params: Params, file: ReceivedFile): Promise<SaveResult> {
  const kind = classify(requested, file);
  const pages = kind.format === 'pdf' ? await pdfPages(file) : undefined;
  return store.save(
    {
      publicId: publicIdOf(params),
      resourceType: kind.resourceType,
      format: kind.format,
      width: kind.width,
      height: kind.height,
      pages,
      contentType: contentTypeOf(kind.format ?? (file.mediaType === undefined ? undefined : formatOfMediaType(file.mediaType))),
      tags: tagsOf(params),
      context: parseContext(single(params, 'context')),
      originalFilename: stripExtension(file.filename ?? 'file'),
      file,
    },
    flag(params, 'overwrite', true),
  );
}
