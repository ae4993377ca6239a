import { HttpProblem } from './problem.js';

/** Options a client may send beside the file. */
export interface UploadOptions {
  publicId?: string;
  folder?: string;
  tags: string[];
  /** Return an earlier succeeded upload of the same bytes (same tenant) instead of uploading again. */
  dedupe: boolean;
}

export const OPTION_FIELDS = ['publicId', 'folder', 'tags', 'dedupe'] as const;

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
  const options: UploadOptions = { tags: [], dedupe: false };
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

/** A display-safe filename: the last path segment, no control characters, at most 255 characters. */
export function sanitizeFilename(raw: string | undefined): string {
  const base = (raw ?? '').split(/[\\/]/).pop() ?? '';
  const clean = base.replace(/[\p{Cc}\p{Cf}]/gu, '').trim().slice(0, 255);
  return clean === '' || clean === '.' || clean === '..' ? 'upload' : clean;
}
