import { lookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { request as httpRequest } from 'node:http';
import type { IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP } from 'node:net';
import { HttpError } from './errors.js';
import { uniquePath, writeFileFrom } from './files.js';
import type { ReceivedFile } from './files.js';

/** Loopback, private, link-local and unspecified ranges: what Cloudinary's fetcher cannot reach either. */
const INTERNAL = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  INTERNAL.addSubnet(network, prefix, 'ipv6');
}

function internal(address: string): boolean {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address)?.[1];
  if (mapped !== undefined) return INTERNAL.check(mapped, 'ipv4');
  return INTERNAL.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
}

const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 30_000;

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup that refuses internal addresses unless `host:port` is allowed. It runs when the
 * connection is made, so the address checked is the address connected to (no second resolution
 * an attacker's DNS could answer differently).
 */
function guardedLookup(allowed: boolean) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error !== null) return callback(error, []);
      const usable = allowed ? addresses : addresses.filter((entry) => !internal(entry.address));
      const first = usable[0];
      if (first === undefined) return callback(Object.assign(new Error(`${hostname} is an internal address not on EMULATOR_FETCH_ALLOW`), { code: 'EFETCHDENIED' }), []);
      if (options.all === true) callback(null, usable);
      else callback(null, first.address, first.family);
    });
  };
}

function get(url: URL, allow: ReadonlySet<string>): Promise<IncomingMessage> {
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  const allowed = allow.has(`${url.hostname}:${port}`);
  // An IP literal is connected to without any lookup, so it is checked here instead.
  const literal = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(literal) !== 0 && !allowed && internal(literal)) {
    return Promise.reject(new Error(`${url.hostname} is an internal address not on EMULATOR_FETCH_ALLOW`));
  }
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const outgoing = send(url, { lookup: guardedLookup(allowed), timeout: TIMEOUT_MS }, resolve);
    outgoing.on('timeout', () => outgoing.destroy(new Error('timed out')));
    outgoing.on('error', reject);
    outgoing.end();
  });
}

function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Fetches a remote `file` URL (http or https, following up to five redirects) to `tmpDir`, as
 * Cloudinary fetches a remote source. Internal addresses are refused unless their `host:port` is in
 * `allow` (EMULATOR_FETCH_ALLOW), so only test servers someone named can be reached.
 * @throws {HttpError} 400 with Cloudinary's "Resource not found - URL" for a 404, or "Error in
 * loading URL - …" for anything else that keeps the file from arriving.
 */
export async function fetchRemote(source: string, allow: ReadonlySet<string>, tmpDir: string): Promise<ReceivedFile> {
  let url: URL;
  try {
    url = new URL(source);
  } catch {
    throw new HttpError(400, `Invalid URL for upload ${source}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new HttpError(400, `Unsupported source URL: ${source}`);
  for (let hop = 0; ; hop += 1) {
    let response: IncomingMessage;
    try {
      response = await get(url, allow);
    } catch (error) {
      throw new HttpError(400, `Error in loading ${source} - ${reason(error)}`);
    }
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (status >= 300 && status < 400 && location !== undefined && hop < MAX_REDIRECTS) {
      response.resume();
      url = new URL(location, url);
      continue;
    }
    if (status === 404) {
      response.resume();
      throw new HttpError(400, `Resource not found - ${source}`);
    }
    if (status < 200 || status >= 300) {
      response.resume();
      throw new HttpError(400, `Error in loading ${source} - ${status} ${response.statusMessage ?? ''}`.trimEnd());
    }
    try {
      const written = await writeFileFrom(response, uniquePath(tmpDir, 'remote-'));
      const name = decodeURIComponent(url.pathname.slice(url.pathname.lastIndexOf('/') + 1));
      return { ...written, filename: name === '' ? undefined : name, mediaType: response.headers['content-type']?.split(';')[0]?.trim().toLowerCase() };
    } catch (error) {
      throw new HttpError(400, `Error in loading ${source} - ${reason(error)}`);
    }
  }
}
