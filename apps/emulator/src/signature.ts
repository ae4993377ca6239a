import { createHash, timingSafeEqual } from 'node:crypto';

/** A request parameter as received: a single value, or the values of a repeated `key[]` field. */
export type ParamValue = string | readonly string[];

/** Request parameters by name (array fields already stripped of their `[]` suffix). */
export type Params = Readonly<Record<string, ParamValue | undefined>>;

/** Hash functions Cloudinary signs with. */
export type SignatureAlgorithm = 'sha1' | 'sha256';

/**
 * Parameters that never take part in the signature: the SDK adds `api_key` and `signature` after
 * signing, `file` travels unsigned, and `cloud_name`/`resource_type` are part of the URL.
 */
export const UNSIGNED_PARAMS: ReadonlySet<string> = new Set([
  'file',
  'cloud_name',
  'resource_type',
  'api_key',
  'signature',
]);

/** How far a signed request's `timestamp` may lie from the emulator's clock, either way: Cloudinary's signatures are valid for an hour. */
export const MAX_REQUEST_AGE_SECONDS = 3600;

/**
 * The string Cloudinary hashes (before the secret is appended): signed params with values,
 * sorted by name, as `key=value` joined by `&`, arrays joined by `,`.
 * Version 2 (the SDK's default) escapes `&` inside each pair so values cannot smuggle params.
 */
export function stringToSign(params: Params, version: 1 | 2 = 2): string {
  return Object.entries(params)
    .filter(([key]) => !UNSIGNED_PARAMS.has(key))
    .map(([key, value]): [string, string] => [key, typeof value === 'string' || value === undefined ? (value ?? '') : value.join(',')])
    .filter(([, value]) => value !== '')
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => (version === 2 ? `${key}=${value}`.replaceAll('&', '%26') : `${key}=${value}`))
    .join('&');
}

/** Hex digest Cloudinary expects for `params`. */
export function computeSignature(params: Params, apiSecret: string, algorithm: SignatureAlgorithm = 'sha1', version: 1 | 2 = 2): string {
  return createHash(algorithm).update(stringToSign(params, version) + apiSecret).digest('hex');
}

function constantTimeEqual(expected: string, given: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(given, 'utf8');
  // timingSafeEqual needs equal lengths; comparing against itself keeps the timing uniform.
  return a.length === b.length ? timingSafeEqual(a, b) : !timingSafeEqual(a, a);
}

/** Outcome of {@link authenticate}: the HTTP status and message Cloudinary would answer with. */
export type AuthResult = { readonly ok: true } | { readonly ok: false; readonly status: 400 | 401; readonly message: string };

/** Credentials a request is checked against. */
export interface Credentials {
  readonly apiKey: string;
  readonly apiSecret: string;
  /**
   * The one hash signatures must use. Cloudinary makes this an account setting and the SDK never
   * says which it used, so a signature made with the other hash is simply an invalid signature.
   */
  readonly signatureAlgorithm: SignatureAlgorithm;
}

function single(params: Params, key: string): string | undefined {
  const value = params[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function cloudinaryTime(seconds: number): string {
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000`;
}

/**
 * Checks a signed Upload API request the way Cloudinary does: known api_key, valid signature over
 * the signed params with the account's hash (SDK signature versions 2 and 1 both accepted), and a
 * timestamp within an hour of now. Cloudinary documents only the past bound ("valid for 1 hour");
 * a timestamp more than an hour ahead is refused too, so a skewed clock fails here as it would
 * once the skew turns around, rather than signing requests that live for days.
 */
export function authenticate(params: Params, credentials: Credentials, nowSeconds = Math.floor(Date.now() / 1000)): AuthResult {
  const apiKey = single(params, 'api_key');
  if (apiKey === undefined) return { ok: false, status: 401, message: 'Must supply api_key' };
  if (!constantTimeEqual(credentials.apiKey, apiKey)) return { ok: false, status: 401, message: `Unknown API key ${apiKey}` };
  const timestamp = single(params, 'timestamp');
  if (timestamp === undefined) return { ok: false, status: 400, message: 'Missing required parameter - timestamp' };
  const signature = single(params, 'signature');
  if (signature === undefined) return { ok: false, status: 401, message: 'Missing required parameter - signature' };

  const { apiSecret, signatureAlgorithm } = credentials;
  const v2 = computeSignature(params, apiSecret, signatureAlgorithm, 2);
  const v1 = computeSignature(params, apiSecret, signatureAlgorithm, 1);
  const given = signature.toLowerCase();
  if (!constantTimeEqual(v2, given) && (v1 === v2 || !constantTimeEqual(v1, given))) {
    return { ok: false, status: 401, message: `Invalid Signature ${signature}. String to sign - '${stringToSign(params)}'.` };
  }

  const seconds = Number(timestamp);
  if (!/^\d+$/.test(timestamp) || !Number.isSafeInteger(seconds)) return { ok: false, status: 400, message: `Invalid timestamp ${timestamp}` };
  if (seconds < nowSeconds - MAX_REQUEST_AGE_SECONDS) {
    return { ok: false, status: 400, message: `Stale request - reported time is ${cloudinaryTime(seconds)} which is more than 1 hour ago` };
  }
  if (seconds > nowSeconds + MAX_REQUEST_AGE_SECONDS) {
    return { ok: false, status: 400, message: `Stale request - reported time is ${cloudinaryTime(seconds)} which is more than 1 hour in the future` };
  }
  return { ok: true };
}
