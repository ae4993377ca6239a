import { EAGER_PRESETS, RESOURCE_TYPES, type EagerPreset, type ResourceType, type UploadMetadata, type UploadOptions } from '@hoist/core';
import { HttpProblem } from './problem.js';
import { assertStorable } from './storable-input.js';

export type { UploadOptions };

export const OPTION_FIELDS = ['publicId', 'folder', 'tags', 'dedupe', 'metadata', 'resourceType', 'eager', 'provider'] as const;

const MAX_METADATA_BYTES = 1024;

const PATH_LIKE = /^[A-Za-z0-9_\-./]{1,255}$/;
const MAX_TAGS = 50;
const MAX_TAG_LENGTH = 100;

function invalid(field: string, detail: string): HttpProblem {
  return new HttpProblem(400, 'invalid-field', 'Invalid field', `${field}: ${detail}`, { field });
}

/** publicId and folder: letters, digits, `_ - . /`, 1–255 characters, no empty, `.` or `..` segment. */
function pathLike(field: string, value: string): string {
  if (!PATH_LIKE.test(value)) {
    throw invalid(field, 'must be 1–255 characters of letters, digits, "_", "-", "." and "/"');
  }
  if (value.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    throw invalid(field, 'must not have empty, "." or ".." path segments');
  }
  return value;
}

/** Validates the raw multipart fields. Throws HttpProblem 400 naming the field. */
export function parseUploadOptions(fields: ReadonlyMap<string, string>): UploadOptions {
  for (const name of fields.keys()) {
    if (!(OPTION_FIELDS as readonly string[]).includes(name)) {
      throw invalid(name, `unknown field; accepted fields are file, ${OPTION_FIELDS.join(', ')}`);
    }
  }
  const options: UploadOptions = { tags: [], dedupe: false, eager: [] };
  const metadata = fields.get('metadata');
  if (metadata !== undefined) options.metadata = parseMetadata(metadata);
  const resourceType = fields.get('resourceType');
  if (resourceType !== undefined) {
    if (!(RESOURCE_TYPES as readonly string[]).includes(resourceType)) throw invalid('resourceType', `must be one of ${RESOURCE_TYPES.join(', ')}`);
    options.resourceType = resourceType as ResourceType;
  }
  const eager = fields.get('eager');
  if (eager !== undefined) {
    const names = [...new Set(eager.split(',').map((name) => name.trim()).filter(Boolean))];
    const unknown = names.find((name) => !(EAGER_PRESETS as readonly string[]).includes(name));
    if (unknown !== undefined || names.length === 0) throw invalid('eager', `must be a comma-separated list of presets: ${EAGER_PRESETS.join(', ')}`);
    options.eager = names as EagerPreset[];
  }
  const provider = fields.get('provider');
  if (provider !== undefined) {
    // Whether this deployment has it is the accept use case's question (422 provider-not-configured).
    if (!/^[a-z][a-z0-9-]{0,31}$/.test(provider)) throw invalid('provider', 'must be a provider name such as cloudinary, imagekit or cloudflare');
    options.provider = provider;
  }
  const dedupe = fields.get('dedupe');
  if (dedupe !== undefined) {
    if (dedupe !== 'true' && dedupe !== 'false') throw invalid('dedupe', 'must be "true" or "false"');
    options.dedupe = dedupe === 'true';
  }
  const publicId = fields.get('publicId');
  const folder = fields.get('folder');
  const tags = fields.get('tags');
  if (publicId !== undefined) options.publicId = pathLike('publicId', publicId);
  if (folder !== undefined) options.folder = pathLike('folder', folder);
  if (options.folder && options.publicId && `${options.folder}/${options.publicId}`.length > 255) {
    throw invalid('publicId', 'folder and publicId together must be at most 255 characters');
  }
  if (tags !== undefined) {
    const list = [...new Set(tags.split(',').map((tag) => tag.trim()).filter(Boolean))];
    if (list.length > MAX_TAGS) throw invalid('tags', `at most ${MAX_TAGS} tags`);
    const bad = list.find((tag) => tag.length > MAX_TAG_LENGTH || /[\p{Cc}]/u.test(tag));
    if (bad !== undefined) throw invalid('tags', `each tag must be at most ${MAX_TAG_LENGTH} characters without control characters`);
    options.tags = list;
  }
  return options;
}

/** metadata: a JSON object of string, number or boolean values, at most 1024 bytes as UTF-8. */
function parseMetadata(raw: string): UploadMetadata {
  if (Buffer.byteLength(raw, 'utf8') > MAX_METADATA_BYTES) throw invalid('metadata', `must be at most ${MAX_METADATA_BYTES} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw invalid('metadata', 'must be valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalid('metadata', 'must be a JSON object');
  // JSON escapes (`\u0000`, `\ud800`) reach here as text no field reader saw.
  assertStorable('metadata', parsed);
  for (const [key, value] of Object.entries(parsed)) {
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(key)) throw invalid('metadata', `key "${key.slice(0, 64)}" must be 1–64 letters, digits, "_" or "-"`);
    if (!['string', 'number', 'boolean'].includes(typeof value)) throw invalid('metadata', `value of "${key}" must be a string, number or boolean`);
  }
  return parsed as UploadMetadata;
}

/** A display-safe, storable filename: the last path segment, no control characters or unpaired surrogates, at most 255 characters. */
export function sanitizeFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  // Cut by code point, as Postgres counts: a cut by UTF-16 unit could split a pair into a lone surrogate.
  const clean = Array.from(base.replace(/[\p{Cc}\p{Cf}\p{Cs}]/gu, '').trim()).slice(0, 255).join('');
  return clean === '' || clean === '.' || clean === '..' ? 'upload' : clean;
}
