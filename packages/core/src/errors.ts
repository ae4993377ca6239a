import type { RateLimitHint } from './rate-limit-hint.js';
/**
 * The worker's one decision: every provider failure is exactly one of these three kinds.
 * Adapters translate their SDK's errors into them; nothing above an adapter sees an SDK error.
 */
export abstract class ProviderError extends Error {
  /** Stable machine-readable code, reported to clients when the upload fails. */
  abstract readonly code: string;
  /** HTTP status from the provider, when there was one. */
  readonly status: number | undefined;

  constructor(message: string, options: { status?: number | undefined; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.status = options.status;
  }
}

/** 420/429: the provider wants every caller to slow down. Never consumes an attempt. */
export class RateLimitedError extends ProviderError {
  readonly code = 'provider_rate_limited';
  /** When the provider said the limit resets, if it said; otherwise the caller picks a backoff. */
  readonly resetAt: Date | undefined;
  /** Everything the answer said about the limit (its rate, reset, remaining), for the throttle. */
  readonly hint: RateLimitHint;

  constructor(
    message: string,
    options: { status?: number | undefined; resetAt?: Date | undefined; hint?: RateLimitHint | undefined; cause?: unknown } = {},
  ) {
    super(message, options);
    this.resetAt = options.resetAt ?? options.hint?.resetAt;
    this.hint = { ...options.hint, resetAt: this.resetAt };
  }
}

/** 5xx, timeouts, connection resets, DNS: worth another attempt after a backoff. */
export class RetryableProviderError extends ProviderError {
  readonly code = 'provider_unavailable';
}

/** Any other 4xx (bad signature, invalid file, too large): retrying cannot help. */
export class PermanentProviderError extends ProviderError {
  readonly code = 'provider_rejected';
}

/** The bytes of an accepted upload are no longer in temp storage, so it can never be sent. */
export class TempObjectMissingError extends Error {
  readonly code = 'temp_file_missing';
  constructor(readonly key: string) {
    super(`Temporary file for this upload is gone (key ${key}); it cannot be sent to the provider.`);
    this.name = 'TempObjectMissingError';
  }
}

/**
 * The object in temp storage is not the one accepted: its size differs from what the API recorded
 * (truncated, or replaced). Sending it would publish other bytes than the client's, so the upload fails.
 */
export class TempObjectChangedError extends Error {
  readonly code = 'temp_file_changed';
  constructor(
    readonly key: string,
    readonly expectedBytes: number,
    readonly storedBytes: number,
  ) {
    super(`Temporary file for this upload changed after it was accepted (key ${key}: ${storedBytes} bytes stored, ${expectedBytes} accepted); it will not be sent.`);
    this.name = 'TempObjectChangedError';
  }
}

/**
 * Temp storage (an object store, or the disk under it) could not be reached, timed out, throttled or
 * refused us. Nothing half-written is left visible; the caller may try again later: the API answers
 * 503, a worker retries the upload with backoff (an attempt is spent, the bytes are kept).
 */
export class TempStorageUnavailableError extends Error {
  readonly code = 'temp_storage_unavailable';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'TempStorageUnavailableError';
  }
}

/** A failure of temp storage itself (the object missing or changed, the store unreachable): never the provider's. */
export function isTempStorageError(error: unknown): error is TempObjectMissingError | TempObjectChangedError | TempStorageUnavailableError {
  return error instanceof TempObjectMissingError || error instanceof TempObjectChangedError || error instanceof TempStorageUnavailableError;
}

/**
 * The source of truth (Postgres) could not be reached. Nothing is known to have changed; the work
 * should wait and try again without spending one of the upload's attempts.
 */
export class StoreUnavailableError extends Error {
  readonly code = 'store_unavailable';
  constructor(cause: unknown) {
    super(`The database is unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailableError';
  }
}

/**
 * The job queue (Redis) could not be reached or did not answer in time. Nothing is known to have
 * changed; the caller may try again later.
 */
export class QueueUnavailableError extends Error {
  readonly code = 'queue_unavailable';
  constructor(message: string, cause?: unknown) {
    super(message, { cause });
    this.name = 'QueueUnavailableError';
  }
}

/**
 * An Idempotency-Key the tenant already used. `sameRequest` tells a retry of the original request
 * (answer with the original upload) from a different request reusing the key (an error).
 */
export class IdempotencyKeyUsedError extends Error {
  constructor(
    readonly uploadId: string,
    readonly sameRequest: boolean,
  ) {
    super(sameRequest ? 'This request was already made with this Idempotency-Key.' : 'This Idempotency-Key was already used for a different request.');
    this.name = 'IdempotencyKeyUsedError';
  }
}

/**
 * A URL upload's source could not be fetched. `retryable` errors (the server answered 5xx or 429,
 * timed out, the connection or DNS failed) spend an attempt and are tried again after a backoff;
 * the others (the URL or a redirect is not allowed, 4xx, too large, unsupported type) fail the
 * upload at once with `code`.
 */
export class SourceFetchError extends Error {
  constructor(
    /** Stable machine-readable failure code, reported to clients. */
    readonly code: string,
    message: string,
    readonly retryable: boolean,
    options: { cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'SourceFetchError';
  }
}

/**
 * The tenant already has `limit` unfinished (queued or processing) uploads, so another one — a new
 * upload or a retry of a failed one — is refused. Nothing was written. Retry once some have finished.
 */
export class TooManyUnfinishedUploadsError extends Error {
  constructor(
    /** The tenant's cap (`TENANT_MAX_UNFINISHED_UPLOADS`). */
    readonly limit: number,
  ) {
    super(`This tenant already has ${limit} uploads waiting or in progress (the limit); retry once some have finished.`);
    this.name = 'TooManyUnfinishedUploadsError';
  }
}

/** The tenant already has `limit` webhook endpoints, so another is refused. Nothing was written. */
export class TooManyWebhookEndpointsError extends Error {
  constructor(
    /** The cap (`MAX_WEBHOOK_ENDPOINTS_PER_TENANT`). */
    readonly limit: number,
  ) {
    super(`A tenant can have at most ${limit} webhook endpoints; delete one first.`);
    this.name = 'TooManyWebhookEndpointsError';
  }
}

/**
 * The tenant already has an endpoint for this URL (one per tenant and URL). Nothing was written.
 * The message leaves the URL out: webhook URLs often carry a token.
 */
export class WebhookUrlTakenError extends Error {
  constructor(
    /** The endpoint already registered for the URL. */
    readonly endpointId: string,
  ) {
    super(`This tenant already has a webhook endpoint for this URL (${endpointId}); use or delete that one instead.`);
    this.name = 'WebhookUrlTakenError';
  }
}
