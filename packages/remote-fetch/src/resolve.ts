import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { classifyAddress } from './address-policy.js';
import { RemoteFetchError } from './errors.js';
import type { ValidatedRemoteUrl } from './validate-url.js';

/** One address a host name resolved to. */
export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}

/**
 * Resolves a host name to all of its addresses. The default, {@link systemResolveHost}, asks the
 * operating system like every other Node client; tests inject fakes.
 */
export type ResolveHost = (hostname: string) => Promise<readonly ResolvedAddress[]>;

/**
 * `dns.lookup` with `all: true`: every address getaddrinfo returns (hosts file, search domains and
 * all), in the resolver's order, so none escapes the check.
 */
export const systemResolveHost: ResolveHost = async (hostname) => {
  const answers = await lookup(hostname, { all: true, order: 'verbatim' });
  return answers.map(({ address, family }) => ({ address, family: family === 6 ? 6 : 4 }));
};

/**
 * The addresses a validated URL may be connected to: its IP literal as is, or every address its
 * host name resolves to, each checked against the address policy unless the host:port is
 * allowlisted. One forbidden answer refuses the host: a name that mixes public and private
 * answers is either misconfigured or an attack (the connection could land on any of them).
 *
 * @throws {RemoteFetchError} `address_not_allowed` for a forbidden answer, `dns_failed` when the
 *   name does not resolve, or the signal's reason when it aborts first.
 */
export async function resolveVetted(target: ValidatedRemoteUrl, resolve: ResolveHost, signal?: AbortSignal): Promise<ResolvedAddress[]> {
  if (target.ip !== undefined) {
    // validateRemoteUrl has already judged the literal; there is nothing to resolve.
    return [{ address: target.ip, family: isIP(target.ip) === 6 ? 6 : 4 }];
  }
  const url = target.url.href;
  let answers: readonly ResolvedAddress[];
  try {
    answers = await abortable(resolve(target.hostname), signal);
  } catch (error) {
    // An abort is the caller's business (deadline, cancellation), not a DNS failure.
    if (error instanceof RemoteFetchError || signal?.aborted === true) throw error;
    const code = (error as { code?: unknown } | null)?.code;
    const detail = typeof code === 'string' ? ` (${code})` : '';
    throw new RemoteFetchError('dns_failed', `Could not resolve host ${target.hostname}${detail}.`, { url, cause: error });
  }
  if (answers.length === 0) {
    throw new RemoteFetchError('dns_failed', `Host ${target.hostname} has no addresses.`, { url });
  }
  const vetted: ResolvedAddress[] = [];
  for (const answer of answers) {
    const family = isIP(answer.address);
    const verdict = classifyAddress(answer.address);
    if (!target.allowlisted && (family === 0 || !verdict.allowed)) {
      // The address itself stays out of the message: with split-horizon DNS it would let a
      // client map our internal network through this endpoint.
      throw new RemoteFetchError('address_not_allowed', `Host ${target.hostname} resolves to a non-public address; only public addresses can be fetched.`, {
        url,
      });
    }
    if (family !== 0) vetted.push({ address: answer.address, family: family === 6 ? 6 : 4 });
  }
  if (vetted.length === 0) {
    throw new RemoteFetchError('dns_failed', `Host ${target.hostname} has no usable addresses.`, { url });
  }
  return vetted;
}

/** Rejects with the signal's reason as soon as it aborts; a DNS lookup itself cannot be cancelled. */
async function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_resolve, reject) => {
    onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise, aborted]);
  } finally {
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
