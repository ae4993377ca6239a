import { RemoteFetchError, validateRemoteUrl } from '@hoist/remote-fetch';
import { HttpProblem } from './problem.js';
import { OPTION_FIELDS, sanitizeFilename } from './upload-options.js';

/** A JSON `POST /v1/uploads`: the URL to fetch, and the same options as multipart fields. */
export interface UrlUploadRequest {
  url: string;
  /** Shown as the upload's filename: the URL path's last segment. */
  filename: string;
  /** The options as multipart would carry them, for parseUploadOptions (one validator for both). */
  fields: Map<string, string>;
}

/** JSON schema of the body, for the OpenAPI document (validation is done by {@link parseUrlUpload}, which gives clearer errors). */
export const urlUploadBodySchema = {
  type: 'object',
  required: ['url'],
  additionalProperties: false,
  properties: {
    url: { type: 'string', description: 'http(s) URL of the file; fetched by a worker, SSRF-safe (no private, loopback or metadata addresses, at any redirect).' },
    publicId: { type: 'string' },
    folder: { type: 'string' },
    tags: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] },
    metadata: { type: 'object', additionalProperties: { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'boolean' }] } },
    resourceType: { type: 'string', enum: ['image', 'video', 'raw', 'auto'] },
    eager: { anyOf: [{ type: 'array', items: { type: 'string' } }, { type: 'string' }] },
    provider: { type: 'string', description: "The provider to store it with (cloudinary, imagekit, cloudflare); default: the tenant's, else the deployment's. One that is not configured, or cannot honour the options or the file, is refused with 422." },
  },
} as const;

const invalid = (field: string, detail: string) => new HttpProblem(400, 'invalid-field', 'Invalid field', `${field}: ${detail}`, { field });

/**
 * Reads a JSON upload request and checks its URL against the outbound policy at once, so a URL that
 * can never be fetched (another scheme, credentials, a private or loopback address, a blocked port)
 * is a 422 now rather than a failed upload later. Host names are resolved and checked again by the
 * worker, at every redirect.
 */
export function parseUrlUpload(body: unknown, allow: readonly string[]): UrlUploadRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpProblem(400, 'invalid-body', 'Invalid body', 'Send a JSON object such as {"url": "https://example.com/photo.jpg"}.');
  }
  const { url, ...options } = body as Record<string, unknown>;
  if (typeof url !== 'string' || url === '') throw invalid('url', 'must be a non-empty string');
  const fields = new Map<string, string>();
  for (const [name, value] of Object.entries(options)) {
    if (!(OPTION_FIELDS as readonly string[]).includes(name) || name === 'dedupe') {
      throw invalid(name, `unknown field; accepted fields are url, ${OPTION_FIELDS.filter((f) => f !== 'dedupe').join(', ')}`);
    }
    fields.set(name, asField(name, value));
  }
  let checked;
  try {
    checked = validateRemoteUrl(url, { allow });
  } catch (error) {
    if (!(error instanceof RemoteFetchError)) throw error;
    if (error.code === 'invalid_url') throw invalid('url', error.message);
    throw new HttpProblem(422, 'url-not-allowed', 'URL not allowed', error.message, { field: 'url', reason: error.code });
  }
  const lastSegment = decodeSegment(checked.url.pathname.split('/').pop() ?? '');
  return { url: checked.url.href, filename: sanitizeFilename(lastSegment || checked.url.hostname), fields };
}

/** JSON values as the multipart validator expects them: lists joined by commas, metadata as JSON text. */
function asField(name: string, value: unknown): string {
  if (name === 'metadata') {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid('metadata', 'must be a JSON object');
    return JSON.stringify(value);
  }
  if ((name === 'tags' || name === 'eager') && Array.isArray(value)) {
    if (!value.every((item) => typeof item === 'string' && !item.includes(','))) throw invalid(name, 'must be a list of strings without commas');
    return value.join(',');
  }
  if (typeof value !== 'string') throw invalid(name, 'must be a string');
  return value;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
