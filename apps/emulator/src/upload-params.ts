import { parseEager } from './eager.js';
import type { EagerRequest } from './eager.js';
import { HttpError } from './errors.js';
import type { Params } from './signature.js';

/** Delivery types an upload can be stored as; each gives its URLs another shape (see asset-response). */
export type DeliveryType = 'upload' | 'private' | 'authenticated';

/** Who may fetch the asset's delivery URL without a signature. */
export type AccessMode = 'public' | 'authenticated';

/** The upload parameters the emulator implements, read and checked once per request. */
export interface UploadOptions {
  readonly publicId: string | undefined;
  readonly folder: string | undefined;
  readonly assetFolder: string | undefined;
  readonly displayName: string | undefined;
  readonly useFilename: boolean;
  readonly uniqueFilename: boolean;
  readonly useFilenameAsDisplayName: boolean;
  readonly filenameOverride: string | undefined;
  readonly discardOriginalFilename: boolean;
  /** Lower-cased; undefined when every format is allowed. */
  readonly allowedFormats: readonly string[] | undefined;
  /** The format to record the asset under (lower-cased), instead of the detected one. */
  readonly format: string | undefined;
  readonly type: DeliveryType;
  readonly accessMode: AccessMode;
  readonly overwrite: boolean;
  readonly tags: readonly string[];
  readonly context: string | undefined;
  /** Derived versions to answer with; the emulator records them but does not render them. */
  readonly eager: readonly EagerRequest[];
}

/** Parameters that carry the request itself rather than an upload option. */
const REQUEST_PARAMS = ['file', 'api_key', 'signature', 'timestamp', 'upload_preset', 'cloud_name', 'resource_type'];

/** Options the emulator implements (backup and invalidate change nothing a client can see here). */
const IMPLEMENTED = [
  'public_id',
  'folder',
  'asset_folder',
  'display_name',
  'use_filename',
  'unique_filename',
  'use_filename_as_display_name',
  'filename_override',
  'discard_original_filename',
  'allowed_formats',
  'format',
  'type',
  'access_mode',
  'overwrite',
  'tags',
  'context',
  'eager',
  'backup',
  'invalidate',
];

/**
 * Upload parameters Cloudinary has (those the official SDK can send) that the emulator does not
 * implement. Cloudinary would act on them, so accepting them with a normal answer would let code
 * pass here that behaves differently there.
 */
const NOT_IMPLEMENTED = new Set([
  'access_control',
  'accessibility_analysis',
  'async',
  'auto_chaptering',
  'auto_tagging',
  'auto_transcription',
  'background_removal',
  'callback',
  'categorization',
  'cinemagraph_analysis',
  'clear_invalid',
  'colors',
  'custom_coordinates',
  'detection',
  'eager_async',
  'eager_notification_url',
  'eval',
  'exif',
  'face_coordinates',
  'faces',
  'headers',
  'image_metadata',
  'media_metadata',
  'metadata',
  'moderation',
  'notification_url',
  'ocr',
  'on_success',
  'phash',
  'proxy',
  'public_id_prefix',
  'quality_analysis',
  'quality_override',
  'raw_convert',
  'regions',
  'responsive_breakpoints',
  'return_delete_token',
  'similarity_search',
  'transformation',
  'use_asset_folder_as_public_id_prefix',
  'visual_search',
]);

const KNOWN = new Set([...REQUEST_PARAMS, ...IMPLEMENTED]);

/** raw_convert values Cloudinary's add-ons answer to (with their optional output suffixes). */
const RAW_CONVERT = /^(aspose|extract_text|google_speech(:(srt|vtt))*|azure_video_indexer)$/;
/** detection models Cloudinary documents, optionally versioned (`coco_v2`). */
const DETECTION = /^(adv_face|coco|lvis|openimages|unidet|cld-fashion|cld-text|human-anatomy|iqa|watermark-detection|captioning)(_v\d+)?$/;

function single(params: Params, key: string): string | undefined {
  const value = params[key];
  const text = typeof value === 'string' ? value : value?.join(',');
  return text === undefined || text.trim() === '' ? undefined : text.trim();
}

/** Cloudinary's booleans: the SDK sends `1`/`0`, REST clients `true`/`false`. */
function flag(params: Params, key: string, fallback: boolean): boolean {
  const value = single(params, key)?.toLowerCase();
  if (value === undefined) return fallback;
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw invalidValue(key, value);
}

/** Cloudinary's wording for a parameter value it does not accept. */
export function invalidValue(key: string, value: string): HttpError {
  return new HttpError(400, `Invalid value ${value} for parameter ${key}`);
}

function oneOf<T extends string>(params: Params, key: string, values: readonly T[], fallback: T): T {
  const value = single(params, key);
  if (value === undefined) return fallback;
  const found = values.find((candidate) => candidate === value);
  if (found === undefined) throw invalidValue(key, value);
  return found;
}

function tagsOf(params: Params): string[] {
  const value = params['tags'];
  const parts = typeof value === 'string' ? value.split(',') : (value ?? []);
  return parts.map((tag) => tag.trim()).filter((tag) => tag !== '');
}

/** Other spellings of a format, under the name Cloudinary reports it by. */
const FORMAT_ALIASES: Readonly<Record<string, string>> = { jpeg: 'jpg', jpe: 'jpg', tif: 'tiff' };

function formatName(raw: string): string {
  const format = raw.trim().toLowerCase().replace(/^\./, '');
  return FORMAT_ALIASES[format] ?? format;
}

function formatsOf(params: Params): string[] | undefined {
  const value = single(params, 'allowed_formats');
  return value?.split(',').map(formatName).filter((format) => format !== '');
}

/**
 * Refuses what the emulator cannot do faithfully: an add-on value Cloudinary would reject gets
 * Cloudinary's "Invalid value" answer; a valid but unimplemented option, or a name Cloudinary does
 * not have, gets a 400 that names it, so it cannot silently do nothing.
 */
function refuseUnsupported(params: Params): void {
  for (const key of Object.keys(params)) {
    if (KNOWN.has(key) || params[key] === undefined || single(params, key) === undefined) continue;
    const value = single(params, key) ?? '';
    if (key === 'raw_convert' && !RAW_CONVERT.test(value)) throw invalidValue(key, value);
    if (key === 'detection' && !DETECTION.test(value)) throw invalidValue(key, value);
    // async=false and friends ask for the default behaviour, which the emulator has.
    if (NOT_IMPLEMENTED.has(key) && (value === '0' || value === 'false')) continue;
    if (NOT_IMPLEMENTED.has(key)) throw new HttpError(400, `Parameter ${key} is not supported by the Hoist emulator`);
    throw new HttpError(400, `Unknown parameter ${key}`);
  }
}

/** Reads and checks an upload request's options; unsigned uploads never overwrite, as on Cloudinary. */
export function uploadOptions(params: Params, unsigned: boolean): UploadOptions {
  refuseUnsupported(params);
  const format = single(params, 'format');
  return {
    publicId: single(params, 'public_id'),
    folder: single(params, 'folder')?.replace(/^\/+|\/+$/g, ''),
    assetFolder: single(params, 'asset_folder')?.replace(/^\/+|\/+$/g, ''),
    displayName: single(params, 'display_name'),
    useFilename: flag(params, 'use_filename', false),
    uniqueFilename: flag(params, 'unique_filename', true),
    useFilenameAsDisplayName: flag(params, 'use_filename_as_display_name', false),
    filenameOverride: single(params, 'filename_override'),
    discardOriginalFilename: flag(params, 'discard_original_filename', false),
    allowedFormats: formatsOf(params),
    format: format === undefined ? undefined : formatName(format),
    type: oneOf(params, 'type', ['upload', 'private', 'authenticated'], 'upload'),
    accessMode: oneOf(params, 'access_mode', ['public', 'authenticated'], 'public'),
    overwrite: unsigned ? false : flag(params, 'overwrite', true),
    tags: tagsOf(params),
    context: single(params, 'context'),
    eager: parseEager(single(params, 'eager')),
  };
}
