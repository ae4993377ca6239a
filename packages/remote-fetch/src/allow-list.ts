/**
 * Parses an allowlist such as `URL_FETCH_ALLOW`: comma-separated `host:port` entries naming servers
 * that may be fetched even though the address policy would refuse them (a local test server, a
 * media server on the LAN). Blank entries are skipped; an empty or missing value allows nothing
 * extra.
 *
 * Each entry is normalised the way URLs are, so it matches however the URL spells the host:
 * `LOCALHOST.:80` becomes `localhost:80`, `0x7f.1:8080` becomes `127.0.0.1:8080`, IPv6 hosts keep
 * their brackets (`[::1]:8080`). The port is required: an entry allows one port of one host,
 * never a whole host.
 *
 * @returns the normalised entries, in order, without duplicates.
 * @throws {Error} naming the first invalid entry (no port, port outside 1–65535, a scheme, path,
 *   user name or anything else that is not just `host:port`).
 */
export function parseAllowList(value: string | undefined): string[] {
  const entries = new Set<string>();
  for (const raw of (value ?? '').split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    entries.add(parseEntry(entry));
  }
  return [...entries];
}

function parseEntry(entry: string): string {
  const invalid = (why: string): Error => new Error(`Invalid allowlist entry "${entry}": ${why}; expected host:port, e.g. 127.0.0.1:8080 or [::1]:8080.`);
  const match = /^(.+):([0-9]{1,5})$/.exec(entry);
  if (!match) throw invalid('no port');
  const [, host = '', portText = ''] = match;
  const port = Number(portText);
  if (port < 1 || port > 65535) throw invalid('port must be 1–65535');
  // Only characters that can appear in a host; this keeps "http://x", "user@x", "x/path" and
  // "x?q" from being read as something else by the URL parser below.
  if (/[/\\@?#\s]/.test(host)) throw invalid('not a bare host');
  // A colon only belongs inside an IPv6 literal's brackets; "localhost:80:80" is not a host.
  if (host.startsWith('[') ? !host.endsWith(']') : host.includes(':')) throw invalid('not a valid host');
  let hostname: string;
  try {
    hostname = new URL(`http://${host}/`).hostname;
  } catch {
    throw invalid('not a valid host');
  }
  return hostPortKey(hostname, port);
}

/**
 * The form allowlist entries are compared in: WHATWG-normalised host (lower case, IPv4 in dotted
 * quad, IPv6 compressed in brackets) without a trailing dot, then the port.
 */
export function hostPortKey(hostname: string, port: number): string {
  return `${stripTrailingDot(hostname)}:${port}`;
}

/** `example.com.` and `example.com` name the same host; compare and classify without the dot. */
export function stripTrailingDot(hostname: string): string {
  return hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
}
