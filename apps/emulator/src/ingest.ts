import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { HttpError } from './errors.js';
import type { ReceivedFile } from './files.js';
import { contentTypeOf, extensionOf, formatOfMediaType, PdfPageCounter, sniff, stripExtension } from './media.js';
import type { ResourceType } from './media.js';
import type { AssetStore, SaveResult } from './store.js';
import { invalidValue } from './upload-params.js';
import type { UploadOptions } from './upload-params.js';
import { videoTiming } from './video.js';

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
const randomId = (length: number): string => Array.from(randomBytes(length), (byte) => ID_ALPHABET[byte % ID_ALPHABET.length]).join('');

const FORBIDDEN_IN_PUBLIC_ID = /[?&#\\%<>]|^\/|\/$|\/\//;

/**
 * The public_id Cloudinary gives an upload: the one asked for; else, with use_filename, the file
 * name (filename_override wins) without its extension, characters a public_id cannot hold replaced
 * by `_`, plus `_` and six random characters unless unique_filename is false; else 20 random
 * characters. A folder prefixes it.
 */
function publicIdOf(options: UploadOptions, filename: string): string {
  const named = options.useFilename ? stripExtension(filename).replace(/[?&#\\%<>/]/g, '_').trim() : '';
  const base = options.publicId ?? (named === '' ? randomId(20) : options.uniqueFilename ? `${named}_${randomId(6)}` : named);
  const publicId = options.folder === undefined || options.folder === '' ? base : `${options.folder}/${base}`;
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

/** Formats each resource type can be converted to on upload; the name is Cloudinary's parameter in its refusal. */
const CONVERTIBLE: Readonly<Record<ResourceType, { readonly parameter: string; readonly formats: ReadonlySet<string> }>> = {
  image: {
    parameter: 'image_file_type',
    formats: new Set(['jpg', 'jpeg', 'jpe', 'png', 'gif', 'webp', 'avif', 'bmp', 'tiff', 'tif', 'ico', 'pdf', 'svg', 'heic', 'jp2', 'jxl', 'eps', 'psd']),
  },
  video: {
    parameter: 'video_file_type',
    formats: new Set(['mp4', 'webm', 'mov', 'mkv', 'ogv', 'flv', 'avi', 'm3u8', 'mpd', 'ts', 'mp3', 'wav', 'ogg', 'aac', 'm4a', 'flac']),
  },
  raw: { parameter: 'raw_file_type', formats: new Set() },
};

/**
 * The format the asset is recorded under. A requested `format` converts it (the emulator records the
 * new format and serves the original bytes); with allowed_formats, a format outside the list is
 * refused with Cloudinary's message — unless `format` is also given, which Cloudinary then uses
 * to convert only the files outside the list.
 */
function recordedFormat(kind: Classified, options: UploadOptions): string | undefined {
  if (options.format !== undefined && !CONVERTIBLE[kind.resourceType].formats.has(options.format)) {
    throw invalidValue(CONVERTIBLE[kind.resourceType].parameter, options.format);
  }
  const allowed = options.allowedFormats;
  if (allowed === undefined) return options.format ?? kind.format;
  if (kind.format !== undefined && allowed.includes(kind.format.toLowerCase())) return kind.format;
  if (options.format !== undefined) return options.format;
  const label = kind.resourceType.charAt(0).toUpperCase() + kind.resourceType.slice(1);
  throw new HttpError(400, `${label} file format ${kind.format ?? ''} not allowed`);
}

/** Last segment of a public_id: Cloudinary's default display name. */
const lastSegment = (publicId: string): string => publicId.slice(publicId.lastIndexOf('/') + 1);

/**
 * Turns a received, authorized file into a stored asset, deciding its resource type and format
 * from its bytes (raw files: from the file name) and applying the upload options. Takes ownership
 * of `file`.
 */
export async function ingest(store: AssetStore, requested: ResourceType | 'auto', options: UploadOptions, file: ReceivedFile): Promise<SaveResult> {
  if (file.bytes === 0) throw new HttpError(400, 'Empty file');
  const kind = classify(requested, file);
  const format = recordedFormat(kind, options);
  const pages = kind.format === 'pdf' ? await pdfPages(file) : undefined;
  const filename = options.filenameOverride ?? file.filename ?? 'file';
  const publicId = publicIdOf(options, filename);
  const timing = kind.resourceType === 'video' ? await videoTiming(file) : undefined;
  return store.save(
    {
      publicId,
      resourceType: kind.resourceType,
      type: options.type,
      accessMode: options.accessMode,
      assetFolder: options.assetFolder ?? options.folder ?? '',
      displayName: options.displayName ?? (options.useFilenameAsDisplayName ? stripExtension(filename) : lastSegment(publicId)),
      format,
      width: timing?.width ?? kind.width,
      height: timing?.height ?? kind.height,
      pages,
      duration: timing?.duration,
      bitRate: timing?.duration === undefined || timing.duration === 0 ? undefined : Math.round((file.bytes * 8) / timing.duration),
      contentType: contentTypeOf(kind.format ?? (file.mediaType === undefined ? undefined : formatOfMediaType(file.mediaType))),
      tags: options.tags,
      context: parseContext(options.context),
      eager: options.eager,
      originalFilename: options.discardOriginalFilename ? undefined : stripExtension(filename),
      file,
    },
    options.overwrite,
  );
}
