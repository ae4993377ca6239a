import type { ConnectionOptions } from 'node:tls';
import { request } from 'undici';
import { RemoteFetchError } from './errors.js';
import { createPinnedAgent, type AddressPins } from './pinned-agent.js';
import { resolveVetted, systemResolveHost, type ResolveHost } from './resolve.js';
import { validateRemoteUrl, type RemoteUrlPolicy } from './validate-url.js';

/** What {@link postRemote} sends, and its limits. */
export interface PostRemoteOptions {
  readonly body: string;
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Total deadline, ms: DNS, connect, sending and the whole answer. Default 10 000. */
  readonly timeoutMs?: number | undefined;
  /** Response bytes read (and thrown away) before the connection is dropped. Default 64 KiB. */
  readonly maxResponseBytes?: number | undefined;
  /** Host name resolver; default {@link systemResolveHost}. Tests inject fakes. */
  readonly lookup?: ResolveHost | undefined;
  /** Extra trusted CA certificates for `https:`; the public roots stay trusted. */
  readonly ca?: ConnectionOptions['ca'] | undefined;
}

const DEFAULT_TIMEOUT_MS = 10_000;
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * POSTs a body to a user-supplied URL under the same rules as {@link fetchRemote}: the URL is
 * validated, its host resolved by us and every address vetted against the policy, and the
 * connection pinned to the vetted addresses (no DNS rebinding). Redirects are never followed — a
 * 3xx is returned like any other status, because re-sending a signed body somewhere else is not
 * what the receiver asked for.
 *
 * @returns the status code, whatever it is. The response body is read up to `maxResponseBytes` and
 *   discarded.
 * @throws {RemoteFetchError} for refusals (`invalid_url`, `scheme_not_allowed`, `credentials_in_url`,
 *   `port_not_allowed`, `address_not_allowed`) and failures (`dns_failed`, `connection_failed`,
 *   `timeout`).
 */
export async function postRemote(url: string, policy: RemoteUrlPolicy, options: PostRemoteOptions): Promise<{ statusCode: number }> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) throw new RangeError(`timeoutMs must be a positive number of milliseconds, got ${timeoutMs}.`);
  const controller = new AbortController();
  const deadline = setTimeout(() => controller.abort(new RemoteFetchError('timeout', `No complete answer within ${timeoutMs} ms.`)), timeoutMs);
  deadline.unref();
  const pins: AddressPins = new Map();
  const agent = createPinnedAgent(pins, { connectTimeoutMs: timeoutMs, ca: options.ca });
  let current: string | undefined;
  try {
    const target = validateRemoteUrl(url, policy);
    current = target.url.href;
    pins.set(target.hostname, await resolveVetted(target, options.lookup ?? systemResolveHost, controller.signal));
    const response = await request(target.url, {
      dispatcher: agent,
      method: 'POST',
      signal: controller.signal,
      headersTimeout: timeoutMs,
      bodyTimeout: timeoutMs,
      headers: { 'user-agent': 'Hoist-Webhooks/0.1', ...options.headers },
      body: options.body,
    });
    await drain(response.body, options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES);
    return { statusCode: response.statusCode };
  } catch (error) {
    throw toError(error, controller.signal, current);
  } finally {
    clearTimeout(deadline);
    agent.destroy().catch(() => undefined);
  }
}

/** Reads at most `maxBytes` of the answer; a longer one is cut off (its status is all we need). */
async function drain(body: AsyncIterable<Buffer> & { destroy(): void }, maxBytes: number): Promise<void> {
  let received = 0;
  for await (const chunk of body) {
    received += chunk.length;
    if (received > maxBytes) {
      body.destroy();
      return;
    }
  }
}

function toError(error: unknown, signal: AbortSignal, url: string | undefined): RemoteFetchError {
  if (signal.aborted && signal.reason instanceof RemoteFetchError) return signal.reason;
  if (error instanceof RemoteFetchError) return error;
  const code = typeof error === 'object' && error !== null ? (error as { code?: unknown }).code : undefined;
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'ETIMEDOUT') {
    return new RemoteFetchError('timeout', 'The receiver did not answer in time.', { url, cause: error });
  }
  return new RemoteFetchError('connection_failed', `Connection failed${typeof code === 'string' ? ` (${code})` : ''}.`, { url, cause: error });
}
