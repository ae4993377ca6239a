import ipaddr from 'ipaddr.js';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/** Why an address is or isn't allowed: the verdict, the range it fell in and, if any, the IPv4 inside it. */
export interface AddressVerdict {
  /** True only for public unicast addresses (and IPv6 forms whose embedded IPv4 is one). */
  readonly allowed: boolean;
  /**
   * The range that decided: one of ipaddr.js's range names (`loopback`, `private`, `linkLocal`,
   * `carrierGradeNat`, `uniqueLocal`, `reserved`, `unicast`…) or one of ours: `invalid` (not an IP
   * address), `scoped` (has a zone id), `nat64LocalUse` (64:ff9b:1::/48), `notGlobalUnicast` (IPv6
   * outside 2000::/3).
   */
  readonly range: string;
  /** For IPv6 forms that carry an IPv4 address (mapped, compatible, NAT64, 6to4, Teredo): that IPv4. */
  readonly embedded?: string;
}

/**
 * Classifies an IP address for outbound requests. Only public unicast is allowed; everything else —
 * loopback, RFC 1918 private, link-local (incl. the cloud metadata address 169.254.169.254),
 * CGNAT, unspecified, broadcast, multicast, reserved, benchmarking, documentation, IPv6
 * unique-local — is refused. IPv6 forms that embed an IPv4 (IPv4-mapped, IPv4-compatible,
 * IPv4-translated, NAT64 64:ff9b::/96, 6to4 2002::/16, Teredo 2001::/32) are judged by the
 * embedded IPv4, because that is where the packets end up.
 *
 * Anything that does not parse as an address is refused (fail closed). Accepts whatever
 * `dns.lookup` returns and the IPv4 shorthands `inet_aton` accepts (`127.1`, `0x7f000001`), so a
 * string that some resolver would treat as an address is judged as that address.
 */
export function classifyAddress(ip: string): AddressVerdict {
  // A zone id (fe80::1%eth0) only exists for link-scoped addresses, which are never public.
  if (ip.includes('%')) return { allowed: false, range: 'scoped' };
  let parsed: IPv4 | IPv6;
  try {
    parsed = ipaddr.parse(ip);
  } catch {
    return { allowed: false, range: 'invalid' };
  }
  return parsed.kind() === 'ipv4' ? classifyIPv4(parsed as IPv4) : classifyIPv6(parsed as IPv6);
}

/**
 * True when an outbound request must not go to `ip`: anything but a public unicast address.
 * See {@link classifyAddress} for the ranges.
 */
export function isForbiddenAddress(ip: string): boolean {
  return !classifyAddress(ip).allowed;
}

function classifyIPv4(ip: IPv4): AddressVerdict {
  // ipaddr.js names every special-purpose IPv4 block we refuse (0/8, 10/8, 100.64/10, 127/8,
  // 169.254/16, 172.16/12, 192.0.0/24, 192.0.2/24, 192.88.99/24, 192.168/16, 198.18/15,
  // 198.51.100/24, 203.0.113/24, 224/4, 240/4, 255.255.255.255, AS112, AMT) and calls the rest
  // `unicast`, so "allowed" is exactly "no special range".
  const range: string = ip.range();
  return { allowed: range === 'unicast', range };
}

/** 2000::/3, the only IPv6 block IANA allocates for global unicast. */
const globalUnicast = ipaddr.IPv6.parseCIDR('2000::/3');
/** RFC 8215 local-use NAT64 prefix: translates into the operator's own network. */
const nat64LocalUse = ipaddr.IPv6.parseCIDR('64:ff9b:1::/48');

function classifyIPv6(ip: IPv6): AddressVerdict {
  const range: string = ip.range();
  // Checked before the IPv4-compatible form below, which would otherwise read them as 0.0.0.0/0.0.0.1.
  if (range === 'unspecified' || range === 'loopback') return { allowed: false, range };
  const embedded = embeddedIPv4(ip, range);
  if (embedded !== undefined) {
    const inner = classifyIPv4(embedded);
    return { allowed: inner.allowed, range: inner.allowed ? range : inner.range, embedded: embedded.toString() };
  }
  if (ip.match(nat64LocalUse)) return { allowed: false, range: 'nat64LocalUse' };
  if (range !== 'unicast') return { allowed: false, range };
  // ipaddr.js calls every unlisted address `unicast`, including unallocated space such as 4000::1;
  // only 2000::/3 is routed on the internet.
  if (!ip.match(globalUnicast)) return { allowed: false, range: 'notGlobalUnicast' };
  return { allowed: true, range };
}

/** The IPv4 address an IPv6 address carries, for the forms that carry one. */
function embeddedIPv4(ip: IPv6, range: string): IPv4 | undefined {
  const p = ip.parts;
  const v4 = (high: number, low: number): IPv4 => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const part = (i: number): number => p[i] ?? 0;
  switch (range) {
    // ::ffff:a.b.c.d (mapped), ::ffff:0:a.b.c.d (SIIT translated), 64:ff9b::a.b.c.d (NAT64): last 32 bits.
    case 'ipv4Mapped':
    case 'rfc6145':
      return v4(part(6), part(7));
    case 'rfc6052':
      // 64:ff9b::/96 only; the /48 local-use prefix embeds at a prefix-dependent offset and is
      // refused as a whole by the caller.
      return ip.match(nat64LocalUse) ? undefined : v4(part(6), part(7));
    // 2002:AABB:CCDD::/48 — the 6to4 relay delivers to AA.BB.CC.DD.
    case '6to4':
      return v4(part(1), part(2));
    case 'teredo': {
      // 2001:0:SSSS:SSSS:flags:port:CCCC:CCCC — server IPv4, then the client IPv4 with every bit
      // flipped. Judge by whichever is worse: report the client unless only the server is bad.
      const server = v4(part(2), part(3));
      const client = v4(~part(6) & 0xffff, ~part(7) & 0xffff);
      return classifyIPv4(client).allowed ? server : client;
    }
    default:
      break;
  }
  // ::a.b.c.d, the deprecated IPv4-compatible form (ipaddr.js has no range for it).
  if (p.slice(0, 6).every((x) => x === 0)) return v4(part(6), part(7));
  return undefined;
}

const rangeDescriptions: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  linkLocal: 'a link-local address (where cloud metadata services live)',
  carrierGradeNat: 'a carrier-grade NAT address',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved or documentation address',
  benchmarking: 'a benchmarking address',
  uniqueLocal: 'a unique-local (private) IPv6 address',
  scoped: 'a scoped (link-local) IPv6 address',
  invalid: 'not a valid IP address',
  nat64LocalUse: 'a local-use NAT64 address',
  notGlobalUnicast: 'not a global unicast address',
};

/** Human-readable reason for a refused address, for error messages: "127.0.0.1 is a loopback address". */
export function describeRefusal(ip: string, verdict: AddressVerdict): string {
  const what = rangeDescriptions[verdict.range] ?? `in the special-purpose range "${verdict.range}"`;
  return verdict.embedded === undefined ? `${ip} is ${what}` : `${ip} embeds ${verdict.embedded}, which is ${what}`;
}
