import ipaddr from 'ipaddr.js';
import { classifyAddress, describeRefusal } from './address-policy.js';
import { hostPortKey, parseAllowList, stripTrailingDot } from './allow-list.js';
import { RemoteFetchError } from './errors.js';

/** What may be fetched, beyond "public http(s) servers". */
export interface RemoteUrlPolicy {
  /**
   * `host:port` entries let through whatever the address policy would refuse — local names,
   * private and loopback addresses, other ports — for exactly that host and port. Normally the
   * output of {@link parseAllowList} on `URL_FETCH_ALLOW`; entries are normalised again here, so
   * hand-written ones match too. Default: none.
   */
  readonly allow?: readonly string[] | undefined;
  /** Ports that may be fetched, or `'any'` (1–65535). Default: {@link DEFAULT_ALLOWED_PORTS}. */
  readonly ports?: readonly number[] | 'any' | undefined;
}

/**
 * The ports web content is served on. Refusing the rest keeps the fetcher from being pointed at
 * non-HTTP services (SMTP, Redis, databases) on public hosts, a classic cross-protocol SSRF.
 */
export const DEFAULT_ALLOWED_PORTS: readonly number[] = Object.freeze([80, 443, 8080, 8443]);

/** A URL that passed {@link validateRemoteUrl}, with what the fetcher needs to know about its host. */
export interface ValidatedRemoteUrl {
  /** The parsed URL, normalised by the WHATWG parser (IPv4 in any notation becomes a dotted quad). */
  readonly url: URL;
  /** The host to connect to: `url.hostname` without IPv6 brackets. */
  readonly hostname: string;
  /** The port, explicit or the scheme's default. */
  readonly port: number;
  /** The IP address when the host is an IP literal (no DNS lookup needed), otherwise undefined. */
  readonly ip: string | undefined;
  /** True when the host:port is in the policy's allowlist, so the address policy does not apply. */
  readonly allowlisted: boolean;
}

/** Longer than any real media URL (signed S3/GCS URLs run to about 2 KB); refuses abuse cheaply. */
const MAX_URL_LENGTH = 8192;

/** Names that always mean this machine or its private network; refused without asking DNS. */
const LOCAL_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback']);
/**
 * Suffixes reserved for local use: `.localhost` (RFC 6761), `.local` (mDNS), `.internal` (ICANN's
 * private-use TLD; GCP's `metadata.google.internal`, AWS's `*.ec2.internal`), `.home.arpa`
 * (RFC 8375) and `.localdomain`.
 */
const LOCAL_SUFFIXES = ['.localhost', '.local', '.internal', '.home.arpa', '.localdomain'];

/**
 * Checks a user-supplied URL before anything is fetched; synchronous and without DNS, so the API
 * can refuse a bad URL at submit time. `fetchRemote` runs it again on every redirect and adds the
 * DNS checks that need the network.
 *
 * Refuses:
 * - input that isn't an absolute URL with a host (`invalid_url`);
 * - schemes other than `http:` and `https:` (`scheme_not_allowed`);
 * - a user name or password (`credentials_in_url`);
 * - an IP-literal host that is not public unicast, in any notation — the WHATWG parser has already
 *   turned decimal (`2130706433`), octal (`0177.0.0.1`), hex (`0x7f.1`), short (`127.1`) and
 *   percent-encoded IPv4 into dotted quads, and IPv6 into its compressed form; IPv6 forms that
 *   embed an IPv4 are judged by it; zone ids are not valid in URLs (`address_not_allowed`);
 * - local-only names — `localhost`, `*.localhost`, `*.local`, `*.internal` (cloud metadata),
 *   `*.home.arpa`, `*.localdomain` — and single-label names such as `redis` or `metadata`, which
 *   only resolve through local search domains (`address_not_allowed`);
 * - ports outside the policy (`port_not_allowed`).
 *
 * A host:port in `policy.allow` skips the address and port checks (never the scheme and
 * credential checks).
 *
 * @throws {RemoteFetchError} with the code above and a message fit for the client.
 */
export function validateRemoteUrl(input: string, policy: RemoteUrlPolicy = {}): ValidatedRemoteUrl {
  if (input.length > MAX_URL_LENGTH) {
    throw new RemoteFetchError('invalid_url', `URL is longer than ${MAX_URL_LENGTH} characters.`);
  }
  let url: URL;
  try {
    url = new URL(input);
  } catch (error) {
    // The input is not echoed: it may be long, and may hold secrets the client pasted by mistake.
    throw new RemoteFetchError('invalid_url', 'Not a valid absolute URL.', { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RemoteFetchError('scheme_not_allowed', `URL scheme "${url.protocol.slice(0, 32)}" is not allowed; use http: or https:.`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new RemoteFetchError('credentials_in_url', 'URL must not contain a user name or password.');
  }
  if (url.hostname === '') {
    throw new RemoteFetchError('invalid_url', 'URL has no host.');
  }

  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // After WHATWG parsing an IP literal is either bracketed IPv6 or a dotted quad: a host whose last
  // label is numeric either became a dotted quad or failed to parse above.
  const ip = url.hostname.startsWith('[') || ipaddr.IPv4.isValidFourPartDecimal(hostname) ? hostname : undefined;
  const allowlisted = allowSet(policy.allow).has(hostPortKey(url.hostname, port));
  const validated: ValidatedRemoteUrl = { url, hostname, port, ip, allowlisted };
  if (allowlisted) return validated;

  if (ip !== undefined) {
    const verdict = classifyAddress(ip);
    if (!verdict.allowed) {
      throw new RemoteFetchError('address_not_allowed', `Host ${describeRefusal(ip, verdict)}; only public addresses can be fetched.`);
    }
  } else {
    const localReason = localNameReason(stripTrailingDot(hostname));
    if (localReason !== undefined) {
      throw new RemoteFetchError('address_not_allowed', `Host ${hostname} ${localReason}; only public hosts can be fetched.`);
    }
  }

  const ports = policy.ports ?? DEFAULT_ALLOWED_PORTS;
  if (port === 0 || (ports !== 'any' && !ports.includes(port))) {
    const allowed = ports === 'any' ? '1–65535' : ports.join(', ');
    throw new RemoteFetchError('port_not_allowed', `Port ${port} is not allowed; allowed ports: ${allowed}.`);
  }
  return validated;
}

/** Why a host name is local-only, or undefined when it may be looked up in DNS. */
function localNameReason(name: string): string | undefined {
  if (LOCAL_NAMES.has(name)) return 'names this machine';
  const suffix = LOCAL_SUFFIXES.find((s) => name.endsWith(s));
  if (suffix !== undefined) return `is in the local-only domain ${suffix.slice(1)}`;
  if (!name.includes('.')) return 'is a single-label name, which only resolves on a local network';
  return undefined;
}

const allowSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** The policy's allowlist, normalised once per array. */
function allowSet(allow: readonly string[] | undefined): ReadonlySet<string> {
  if (allow === undefined || allow.length === 0) return new Set();
  let set = allowSets.get(allow);
  if (set === undefined) {
    set = new Set(parseAllowList(allow.join(',')));
    allowSets.set(allow, set);
  }
  return set;
}
