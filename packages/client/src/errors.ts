import type { Upload } from './types.js';

/** A problem document (RFC 9457) as the API sends it, with its extension members. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

const PROBLEM_PREFIX = 'urn:hoist:problem:';

/**
 * The problem codes the API answers with (the part of `type` after `urn:hoist:problem:`), listed in
 * the README's "Errors" section. Any other string may arrive from a newer server; `code` is typed
 * so that these complete in an editor and others still compile.
 */
export type ProblemCode =
  | 'active-svg'
  | 'bad-request'
  | 'empty-file'
  | 'file-too-large'
  | 'header-fields-too-large'
  | 'idempotency-key-reused'
  | 'internal-error'
  | 'invalid-body'
  | 'invalid-cursor'
  | 'invalid-field'
  | 'invalid-header'
  | 'invalid-request'
  | 'malformed-multipart'
  | 'method-not-allowed'
  | 'missing-file'
  | 'not-found'
  | 'not-ready'
  | 'payload-too-large'
  | 'provider-cannot-honour'
  | 'provider-not-configured'
  | 'provider-rate-limited'
  | 'provider-refused'
  | 'provider-unavailable'
  | 'request-timeout'
  | 'service-unavailable'
  | 'too-many-files'
  | 'too-many-requests'
  | 'too-many-streams'
  | 'too-many-unfinished-uploads'
  | 'too-many-webhooks'
  | 'unauthorized'
  | 'unsupported-file-type'
  | 'unsupported-media-type'
  | 'unsupported-tus-version'
  | 'upload-bytes-gone'
  | 'upload-not-cancellable'
  | 'upload-not-finished'
  | 'upload-not-found'
  | 'upload-not-receiving'
  | 'upload-not-retryable'
  | 'upload-settling'
  | 'url-not-allowed'
  | 'webhook-not-found'
  | 'webhook-url-taken'
  | (string & {});

/** Every error this SDK throws (an aborted call rejects with its signal's reason instead). */
export class HoistError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HoistError';
  }
}

/** The API answered with a problem (a 4xx or 5xx): `code` says which, `detail` says why in words. */
export class HoistApiError extends HoistError {
  /** HTTP status. */
  readonly status: number;
  /** The problem's `type`, e.g. `urn:hoist:problem:file-too-large`. */
  readonly type: string;
  /** The last part of `type`, e.g. `file-too-large`. */
  readonly code: ProblemCode;
  readonly title: string;
  readonly detail: string | undefined;
  /** The whole problem document, extension members included (`limit`, `provider`, `reason`…). */
  readonly problem: Problem;
  /** Seconds the server asked to wait before trying again (`Retry-After`), when it said. */
  readonly retryAfterSeconds: number | undefined;

  constructor(problem: Problem, retryAfterSeconds?: number) {
    super(problem.detail ?? problem.title);
    this.name = 'HoistApiError';
    this.status = problem.status;
    this.type = problem.type;
    this.code = problem.type.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : problem.type;
    this.title = problem.title;
    this.detail = problem.detail;
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** True when this is the problem named by `code` (`error.is('upload-not-cancellable')`). */
  is(code: ProblemCode): boolean {
    return this.code === code;
  }
}

/** No answer from the API (connection refused or reset, DNS, TLS) after the retries allowed. */
export class HoistNetworkError extends HoistError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HoistNetworkError';
  }
}

/** `waitFor` ran out of time before the upload was final; `upload` is how it last was. */
export class HoistTimeoutError extends HoistError {
  constructor(
    message: string,
    readonly upload: Upload | undefined,
  ) {
    super(message);
    this.name = 'HoistTimeoutError';
  }
}

/** A call the SDK cannot make as asked (a file path in a browser, a stream sent as multipart…). */
export class HoistUsageError extends HoistError {
  constructor(message: string) {
    super(message);
    this.name = 'HoistUsageError';
  }
}

/** Seconds in a `Retry-After` header (delta-seconds or an HTTP date), or undefined. */
export function retryAfterSeconds(header: string | null | undefined, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const trimmed = header.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - now) / 1000));
}

/**
 * The error for a response that is not a success: its problem document when it has one; otherwise
 * a problem made from its status (a proxy's HTML 502, say), so callers always get a HoistApiError.
 */
export function problemError(status: number, body: string, retryAfter: string | null | undefined): HoistApiError {
  let problem: Problem | undefined;
  try {
    const parsed = JSON.parse(body) as unknown;
    if (isProblem(parsed)) problem = parsed;
  } catch {
    // not JSON: described below
  }
  problem ??= { type: 'about:blank', title: `HTTP ${status}`, status, detail: `The server answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}` };
  return new HoistApiError(problem, retryAfterSeconds(retryAfter));
}

function isProblem(value: unknown): value is Problem {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as Record<string, unknown>;
  return typeof candidate['type'] === 'string' && typeof candidate['title'] === 'string' && typeof candidate['status'] === 'number';
}
