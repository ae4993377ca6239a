import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import type { ConnectionOptions } from 'node:tls';
import { request, type Agent, type Dispatcher } from 'undici';
import { RemoteFetchError } from './errors.js';
import { limitBody, type MinTransferRate } from './limited-body.js';
import { createPinnedAgent, type AddressPins } from './pinned-agent.js';
import { resolveVetted, systemResolveHost, type ResolvedAddress, type ResolveHost } from './resolve.js';
import { validateRemoteUrl, type RemoteUrlPolicy, type ValidatedRemoteUrl } from './validate-url.js';

/** Limits and hooks for {@link fetchRemote}. */
export interface FetchRemoteOptions {
  /** Largest body accepted, bytes: a larger `Content-Length` is refused up front, a longer body mid-stream. */
  readonly maxBytes: number;
  /** Total deadline, ms, from the call until the body's last byte, across DNS, redirects and streaming. Default 30 000. */
  readonly timeoutMs?: number | undefined;
  /** TCP+TLS connect timeout per connection, ms. Default 10 000 (never more than `timeoutMs`). */
  readonly connectTimeoutMs?: number | undefined;
  /** Time from sending a request to having the response headers, per hop, ms. Default 10 000 (never more than `timeoutMs`). */
  readonly headersTimeoutMs?: number | undefined;
  /** Longest pause between two body chunks, ms. Default 10 000 (never more than `timeoutMs`). */
  readonly idleTimeoutMs?: number | undefined;
  /** Redirects followed before giving up with `too_many_redirects`. Default 5; 0 refuses every redirect. */
  readonly maxRedirects?: number | undefined;
  /** Host name resolver; default {@link systemResolveHost} (`dns.lookup`, all addresses). Tests inject fakes. */
  readonly lookup?: ResolveHost | undefined;
  /** Cancels the fetch (and the body stream) with code `aborted`. */
  readonly signal?: AbortSignal | undefined;
  /** Slowest acceptable body, averaged per window; slower fails the stream with `too_slow`. Default: none. */
  readonly minRate?: MinTransferRate | undefined;
  /** Sent as `User-Agent`. */
  readonly userAgent?: string | undefined;
  /** Extra trusted CA certificates for `https:` (a private PKI, tests); the public roots stay trusted. */
  readonly ca?: ConnectionOptions['ca'] | undefined;
}

/** A successful fetch: the response body still streaming, and what is known about it. */
export interface RemoteResource {
  /**
   * The body as a Node stream. Read it to the end or destroy it: the connection (and the
   * deadline timer) live until it closes. Fails with a {@link RemoteFetchError} (`too_large`,
   * `timeout`, `connection_failed`, `aborted`) if the download goes wrong.
   */
  readonly body: Readable;
  /** The `Content-Type` the server sent, if any. Untrusted: sniff the bytes before relying on it. */
  readonly contentType: string | undefined;
  /** The URL the body came from, after redirects. */
  readonly finalUrl: string;
  /** The declared `Content-Length`, when the server sent a valid one (at most `maxBytes`). */
  readonly contentLength: number | undefined;
  /** Redirects followed to get here. */
  readonly redirects: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_STEP_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_REDIRECTS = 5;
const DEFAULT_USER_AGENT = 'Hoist-RemoteFetch/0.1';
const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * Downloads a URL without letting it reach anything but public servers (and the policy's
 * allowlist):
 *
 * - the URL is checked by {@link validateRemoteUrl} (scheme, credentials, IP literals, local names,
 *   ports), then its host name is resolved by us and every address checked;
 * - the connection is pinned to those checked addresses (see `createPinnedAgent`), so DNS cannot
 *   change its answer between the check and the connect; TLS still verifies the certificate
 *   against the host name;
 * - redirects are followed by hand, at most `maxRedirects`, and each target goes through the same
 *   checks (a refused target throws `address_not_allowed` or `redirect_not_allowed`);
 * - a declared `Content-Length` above `maxBytes` is refused at once, a longer body fails the
 *   stream with `too_large`; nothing is buffered;
 * - connect, headers and body-idle timeouts per hop, plus a total deadline that also covers
 *   reading the body, all failing with `timeout` and aborting the request; optionally a minimum
 *   body rate per window (`too_slow`);
 * - a final status other than 2xx throws `http_status`.
 *
 * Only `GET`, no cookies, no credentials, `Accept-Encoding: identity` (so `maxBytes` counts the
 * bytes that will be stored, and no decompression bomb).
 *
 * @throws {RemoteFetchError} for every refusal and failure; the code says which.
 */
export async function fetchRemote(url: string | URL, policy: RemoteUrlPolicy, options: FetchRemoteOptions): Promise<RemoteResource> {
  const limits = resolveLimits(options);
  const resolve = options.lookup ?? systemResolveHost;

  // One controller for everything: the total deadline and the caller's signal both abort it, and
  // its signal reaches DNS, every request and (through the listener below) the body stream.
  const controller = new AbortController();
  const deadline = setTimeout(() => {
    controller.abort(new RemoteFetchError('timeout', `Fetch did not finish within ${limits.timeoutMs} ms.`));
  }, limits.timeoutMs);
  // The timer only guards work that holds sockets anyway; it must not keep a process alive by itself.
  deadline.unref();
  const onCallerAbort = (): void => controller.abort(new RemoteFetchError('aborted', 'Fetch was cancelled.'));
  if (options.signal?.aborted === true) onCallerAbort();
  options.signal?.addEventListener('abort', onCallerAbort, { once: true });

  const pins: AddressPins = new Map();
  const agent = createPinnedAgent(pins, { connectTimeoutMs: limits.connectTimeoutMs, ca: options.ca });
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    clearTimeout(deadline);
    options.signal?.removeEventListener('abort', onCallerAbort);
    agent.destroy().catch(() => undefined);
  };

  let current: string | undefined;
  try {
    let target = validateRemoteUrl(typeof url === 'string' ? url : url.href, policy);
    let from: string | undefined;
    for (let redirects = 0; ; redirects++) {
      current = target.url.href;
      pins.set(target.hostname, await vetHop(target, resolve, controller.signal, from));
      const response = await send(agent, target, controller.signal, limits);
      const { statusCode, headers } = response;

      if (REDIRECT_STATUSES.has(statusCode)) {
        discard(response.body);
        const location = singleHeader(headers, 'location');
        if (location === undefined) {
          throw new RemoteFetchError('http_status', `Server answered ${statusCode} without a Location.`, { status: statusCode, url: current });
        }
        if (redirects >= limits.maxRedirects) {
          throw new RemoteFetchError('too_many_redirects', `More than ${limits.maxRedirects} redirects.`, { url: current });
        }
        from = current;
        target = validateRedirect(location, target.url, policy);
        continue;
      }

      if (statusCode < 200 || statusCode > 299) {
        discard(response.body);
        throw new RemoteFetchError('http_status', `Server answered ${statusCode}.`, { status: statusCode, url: current });
      }

      const contentLength = parseContentLength(singleHeader(headers, 'content-length'));
      if (contentLength !== undefined && contentLength > options.maxBytes) {
        discard(response.body);
        throw new RemoteFetchError('too_large', `Body of ${contentLength} bytes is larger than the limit of ${options.maxBytes} bytes.`, {
          url: current,
        });
      }

      const finalUrl = current;
      const body = limitBody(response.body, {
        maxBytes: options.maxBytes,
        url: finalUrl,
        mapError: (error) => toRemoteFetchError(error, controller.signal, finalUrl, limits),
        onClose: release,
        minRate: options.minRate,
      });
      // From here on the deadline and the caller's signal end the stream the caller is reading
      // (at once if one of them fired while the headers were arriving).
      const endBody = (): void => {
        body.destroy(toRemoteFetchError(controller.signal.reason, controller.signal, finalUrl, limits));
      };
      if (controller.signal.aborted) endBody();
      else controller.signal.addEventListener('abort', endBody, { once: true });
      return { body, contentType: singleHeader(headers, 'content-type'), finalUrl, contentLength, redirects };
    }
  } catch (error) {
    release();
    throw toRemoteFetchError(error, controller.signal, current, limits);
  }
}

interface Limits {
  readonly timeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly headersTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly maxRedirects: number;
}

function resolveLimits(options: FetchRemoteOptions): Limits {
  const positive = (name: string, value: number): number => {
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`${name} must be a positive number of milliseconds, got ${value}.`);
    return value;
  };
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) {
    throw new RangeError(`maxBytes must be a non-negative integer, got ${options.maxBytes}.`);
  }
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  if (!Number.isSafeInteger(maxRedirects) || maxRedirects < 0) throw new RangeError(`maxRedirects must be a non-negative integer, got ${maxRedirects}.`);
  const timeoutMs = positive('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  const step = (name: string, value: number | undefined): number => Math.min(positive(name, value ?? DEFAULT_STEP_TIMEOUT_MS), timeoutMs);
  return {
    timeoutMs,
    connectTimeoutMs: step('connectTimeoutMs', options.connectTimeoutMs),
    headersTimeoutMs: step('headersTimeoutMs', options.headersTimeoutMs),
    idleTimeoutMs: step('idleTimeoutMs', options.idleTimeoutMs),
    maxRedirects,
  };
}

/**
 * Resolves and vets one hop's host. A refusal after a redirect names the redirect and the URL that
 * sent us there, like the refusals in {@link validateRedirect}.
 */
async function vetHop(target: ValidatedRemoteUrl, resolve: ResolveHost, signal: AbortSignal, redirectedFrom: string | undefined): Promise<ResolvedAddress[]> {
  try {
    return await resolveVetted(target, resolve, signal);
  } catch (error) {
    if (redirectedFrom === undefined || !(error instanceof RemoteFetchError) || error.code !== 'address_not_allowed') throw error;
    throw new RemoteFetchError('address_not_allowed', `Redirect refused: ${error.message}`, { url: redirectedFrom, cause: error });
  }
}

/** One hop's GET, on the pinned agent; resolves once the response headers are in. */
async function send(agent: Agent, target: ValidatedRemoteUrl, signal: AbortSignal, limits: Limits): Promise<Dispatcher.ResponseData> {
  return request(target.url, {
    dispatcher: agent,
    method: 'GET',
    signal,
    headersTimeout: limits.headersTimeoutMs,
    bodyTimeout: limits.idleTimeoutMs,
    headers: { accept: '*/*', 'accept-encoding': 'identity', 'user-agent': DEFAULT_USER_AGENT },
  });
}

/** Checks a redirect's target like the original URL; refusals name the redirect. */
function validateRedirect(location: string, from: URL, policy: RemoteUrlPolicy): ValidatedRemoteUrl {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch (error) {
    throw new RemoteFetchError('redirect_not_allowed', 'Redirect Location is not a valid URL.', { url: from.href, cause: error });
  }
  try {
    return validateRemoteUrl(next.href, policy);
  } catch (error) {
    if (!(error instanceof RemoteFetchError)) throw error;
    // The refused URL stays out of `url`: it may carry credentials (credentials_in_url).
    const code = error.code === 'address_not_allowed' ? 'address_not_allowed' : 'redirect_not_allowed';
    throw new RemoteFetchError(code, `Redirect refused: ${error.message}`, { url: from.href, cause: error });
  }
}

/** Frees a response body we won't read. Destroying makes undici drop the connection, which is what we want. */
function discard(body: Readable): void {
  // undici's body reports an early destroy as an 'error'; nobody is listening for it.
  body.on('error', () => undefined);
  body.destroy();
}

function singleHeader(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return typeof value === 'string' ? value : undefined;
}

function parseContentLength(value: string | undefined): number | undefined {
  if (value === undefined || !/^[0-9]{1,15}$/.test(value.trim())) return undefined;
  return Number(value.trim());
}

/**
 * Whatever went wrong, as a RemoteFetchError. An abort is reported as its reason (the deadline's
 * `timeout` or the caller's `aborted`), whichever error undici surfaced for it.
 */
function toRemoteFetchError(error: unknown, signal: AbortSignal, url: string | undefined, limits: Limits): RemoteFetchError {
  if (signal.aborted && signal.reason instanceof RemoteFetchError) return signal.reason;
  if (error instanceof RemoteFetchError) return error;
  const code = errorCode(error);
  switch (code) {
    case 'UND_ERR_CONNECT_TIMEOUT':
    case 'ETIMEDOUT':
      return new RemoteFetchError('timeout', `Could not connect within ${limits.connectTimeoutMs} ms.`, { url, cause: error });
    case 'UND_ERR_HEADERS_TIMEOUT':
      return new RemoteFetchError('timeout', `No response headers within ${limits.headersTimeoutMs} ms.`, { url, cause: error });
    case 'UND_ERR_BODY_TIMEOUT':
      return new RemoteFetchError('timeout', `Body stalled for more than ${limits.idleTimeoutMs} ms.`, { url, cause: error });
    case undefined:
    default:
      return new RemoteFetchError('connection_failed', `Connection failed${code === undefined ? '' : ` (${code})`}.`, { url, cause: error });
  }
}

/** The `code` of a Node/undici error, looking inside the AggregateError Happy Eyeballs produces. */
function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const { code } = error as { code?: unknown };
  if (typeof code === 'string') return code;
  if (error instanceof AggregateError) return errorCode(error.errors[0]);
  return undefined;
}
