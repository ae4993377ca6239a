import type { LookupFunction } from 'node:net';
import { rootCertificates, type ConnectionOptions } from 'node:tls';
import ipaddr from 'ipaddr.js';
import { Agent, buildConnector } from 'undici';
import { RemoteFetchError } from './errors.js';
import type { ResolvedAddress } from './resolve.js';

/**
 * Host name → the addresses vetted for it. `fetchRemote` fills it in before each request; the
 * agent's connections can only go to what is in here.
 */
export type AddressPins = Map<string, readonly ResolvedAddress[]>;

/**
 * A `lookup` for `net.connect`/`tls.connect` that answers from the pins instead of DNS. Because
 * the socket never asks DNS itself, a name that re-resolves to a private address between our check
 * and the connect (DNS rebinding) cannot redirect the connection. A name that was never pinned is
 * an error, never a fallback to DNS.
 *
 * Answers both shapes Node asks for: `all: true` (Happy Eyeballs, `autoSelectFamily`) and a single
 * address; honours a requested `family`.
 */
export function createPinnedLookup(pins: ReadonlyMap<string, readonly ResolvedAddress[]>): LookupFunction {
  return (hostname, options, callback) => {
    const family = options.family === 'IPv4' ? 4 : options.family === 'IPv6' ? 6 : (options.family ?? 0);
    const addresses = (pins.get(hostname) ?? []).filter((a) => family === 0 || a.family === family);
    const first = addresses[0];
    if (first === undefined) {
      const error: NodeJS.ErrnoException = new Error(`No vetted address for ${hostname}; refusing to resolve it again.`);
      error.code = 'ENOTFOUND';
      callback(error, '');
      return;
    }
    if (options.all === true) callback(null, addresses.map(({ address, family: f }) => ({ address, family: f })));
    else callback(null, first.address, first.family);
  };
}

/** What {@link createPinnedAgent} needs besides the pins. */
export interface PinnedAgentOptions {
  /** TCP+TLS connect timeout, ms. */
  readonly connectTimeoutMs: number;
  /** Extra trusted CA certificates (a private PKI, tests); Node's bundled root certificates stay trusted. */
  readonly ca?: ConnectionOptions['ca'];
}

/**
 * An undici Agent whose every connection goes to a pinned address:
 *
 * 1. undici's own connector gets {@link createPinnedLookup} as `lookup`, which `net.connect` /
 *    `tls.connect` use in place of DNS. The host name itself is still what undici hands to
 *    `tls.connect` as `host` and `servername`, so SNI and certificate verification (Node's
 *    `checkServerIdentity`) are against the URL's host name, not the IP we connect to.
 * 2. Once connected, the socket's `remoteAddress` is checked against the pins again, so any path
 *    that bypassed the lookup (an IP-literal host, a future undici change) still cannot reach an
 *    unvetted address.
 *
 * HTTP/2 is off so `headersTimeout`/`bodyTimeout` behave the same on every connection; proxies are
 * never used (a proxy would do its own DNS, defeating the pinning).
 */
export function createPinnedAgent(pins: ReadonlyMap<string, readonly ResolvedAddress[]>, options: PinnedAgentOptions): Agent {
  const connectOptions: buildConnector.BuildOptions = {
    lookup: createPinnedLookup(pins),
    timeout: options.connectTimeoutMs,
    allowH2: false,
  };
  if (options.ca !== undefined) {
    // `ca` replaces Node's default trust store, so add the bundled roots back.
    connectOptions.ca = [...rootCertificates, ...[options.ca].flat()];
  }
  const connect = buildConnector(connectOptions);
  return new Agent({
    allowH2: false,
    connect: (connectParams, callback) => {
      connect(connectParams, (error, socket) => {
        if (error !== null) {
          callback(error, null);
          return;
        }
        const remote = socket.remoteAddress;
        if (remote === undefined || !isPinned(pins.get(connectParams.hostname), remote)) {
          socket.destroy();
          callback(
            new RemoteFetchError('address_not_allowed', `Connection to ${connectParams.hostname} reached an address that was not vetted; refused.`),
            null,
          );
          return;
        }
        callback(null, socket);
      });
    },
  });
}

function isPinned(addresses: readonly ResolvedAddress[] | undefined, remote: string): boolean {
  const actual = canonical(remote);
  return actual !== undefined && (addresses ?? []).some((a) => canonical(a.address) === actual);
}

/** One spelling per address, so `::ffff:127.0.0.1` from a dual-stack socket matches `127.0.0.1`. */
function canonical(ip: string): string | undefined {
  try {
    const parsed = ipaddr.parse(ip);
    if (parsed.kind() === 'ipv6') {
      const v6 = parsed as ipaddr.IPv6;
      return v6.isIPv4MappedAddress() ? v6.toIPv4Address().toString() : v6.toNormalizedString();
    }
    return parsed.toString();
  } catch {
    return undefined;
  }
}
