/**
 * Every way a remote fetch can be refused or fail. The codes are stable: the API reports them in
 * problem details and the worker stores them as an upload's failure code, so never rename one.
 *
 * Refusals (the URL or its target is not allowed — retrying cannot help):
 * - `invalid_url`: not a parseable absolute URL, or no host.
 * - `scheme_not_allowed`: anything but `http:` and `https:`.
 * - `credentials_in_url`: a user name or password in the URL.
 * - `port_not_allowed`: a port outside the policy's ports.
 * - `address_not_allowed`: the host is, names or resolves to a non-public address (loopback,
 *   private, link-local, metadata…), or is a local-only name such as `localhost`.
 * - `redirect_not_allowed`: a redirect whose `Location` is unusable or fails the URL checks above
 *   for a reason other than its address.
 * - `too_many_redirects`: more redirects than `maxRedirects`.
 * - `too_large`: the body is (or declares itself) larger than `maxBytes`.
 * - `http_status`: the final answer is not a 2xx (see {@link RemoteFetchError.status}).
 *
 * Failures (possibly transient):
 * - `dns_failed`: the host name did not resolve.
 * - `connection_failed`: TCP or TLS failed (refused, reset, bad certificate…).
 * - `timeout`: connect, headers, body idle time or the total deadline ran out.
 * - `too_slow`: the body arrived slower than the caller's minimum rate (`minRate`). Not retryable:
 *   a source that drips bytes is usually slow by design (or a tarpit), and each retry would hold a
 *   fetch for another whole window. A window with no bytes at
 *   all is a stall: `timeout`.
 * - `aborted`: the caller's `signal` aborted the fetch.
 */
export type RemoteFetchErrorCode =
  | 'invalid_url'
  | 'scheme_not_allowed'
  | 'credentials_in_url'
  | 'port_not_allowed'
  | 'address_not_allowed'
  | 'redirect_not_allowed'
  | 'too_many_redirects'
  | 'too_large'
  | 'http_status'
  | 'dns_failed'
  | 'connection_failed'
  | 'timeout'
  | 'too_slow'
  | 'aborted';

/** A remote fetch was refused or failed; {@link RemoteFetchError.code} says why. */
export class RemoteFetchError extends Error {
  /** Stable machine-readable reason; safe to show to clients. */
  readonly code: RemoteFetchErrorCode;
  /** The remote server's status, for `http_status`. */
  readonly status: number | undefined;
  /**
   * The URL being fetched when this happened (after redirects). Only set once the URL has passed
   * validation, so it never carries credentials.
   */
  readonly url: string | undefined;

  constructor(
    code: RemoteFetchErrorCode,
    message: string,
    options: { status?: number | undefined; url?: string | undefined; cause?: unknown } = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'RemoteFetchError';
    this.code = code;
    this.status = options.status;
    this.url = options.url;
  }

  /**
   * Whether trying again later could succeed: network trouble, timeouts and 408/429/5xx answers.
   * Refusals by policy and 4xx answers will fail the same way every time.
   */
  get retryable(): boolean {
    switch (this.code) {
      case 'dns_failed':
      case 'connection_failed':
      case 'timeout':
        return true;
      case 'http_status':
        return this.status !== undefined && (this.status === 408 || this.status === 429 || this.status >= 500);
      case 'invalid_url':
      case 'scheme_not_allowed':
      case 'credentials_in_url':
      case 'port_not_allowed':
      case 'address_not_allowed':
      case 'redirect_not_allowed':
      case 'too_many_redirects':
      case 'too_large':
      case 'too_slow':
      case 'aborted':
        return false;
    }
  }
}
