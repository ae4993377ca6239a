import { TempStorageUnavailableError } from '@hoist/core';

/** What the SDK attaches to a service error (and, for some network failures, an empty `$metadata`). */
interface SdkError {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: number | undefined };
}

function statusOf(error: unknown): number | undefined {
  return (error as SdkError | undefined)?.$metadata?.httpStatusCode;
}

/** No such object (GetObject's `NoSuchKey`, HeadObject's bare 404, `NoSuchUpload` for a finished multipart upload). */
export function isMissing(error: unknown): boolean {
  const name = (error as SdkError | undefined)?.name;
  return name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchUpload' || statusOf(error) === 404;
}

/**
 * Every failure of the store itself — unreachable, timed out, 5xx, throttled (503 SlowDown, 429),
 * credentials refused or expired (401/403) — as the domain's `TempStorageUnavailableError`: the
 * client may retry later, the worker retries with backoff. A 4xx that is none of these (a request
 * the store cannot understand) is a bug and passes through unchanged, to surface as one.
 */
export function unavailable(doing: string, error: unknown): unknown {
  if (error instanceof TempStorageUnavailableError) return error;
  const status = statusOf(error);
  const sdk = error as SdkError | undefined;
  const isClientBug = status !== undefined && status >= 400 && status < 500 && status !== 401 && status !== 403 && status !== 408 && status !== 429;
  if (isClientBug && sdk?.$fault === 'client') return error;
  const what = typeof sdk?.name === 'string' && sdk.name !== 'Error' ? sdk.name : typeof sdk?.code === 'string' ? sdk.code : 'error';
  return new TempStorageUnavailableError(`Temp storage failed ${doing}: ${what}${status ? ` (HTTP ${status})` : ''}`, error);
}

/** One line on why start-up cannot use the bucket. */
export function startupProblem(error: unknown): string {
  const status = statusOf(error);
  const sdk = error as SdkError | undefined;
  if (status === 404 || sdk?.name === 'NoSuchBucket' || sdk?.name === 'NotFound') return 'the bucket does not exist (create it, or fix TEMP_STORAGE_URL)';
  if (status === 401 || status === 403) {
    return 'access denied: check AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or the SDK credential chain) and that they may use this bucket';
  }
  if (sdk?.name === 'CredentialsProviderError') return 'no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or configure the SDK credential chain';
  if (status === 301 || sdk?.name === 'PermanentRedirect') return 'the bucket is in another region: set AWS_REGION to its region';
  const message = typeof sdk?.message === 'string' && sdk.message !== '' ? sdk.message : String(error);
  return `cannot reach the store (${typeof sdk?.code === 'string' ? `${sdk.code}: ` : ''}${message.split('\n')[0]})`;
}
