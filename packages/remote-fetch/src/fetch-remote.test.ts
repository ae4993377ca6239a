import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { isIP, type AddressInfo } from 'node:net';
import type { Readable } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteFetchError } from './errors.js';
import { fetchRemote, type FetchRemoteOptions } from './fetch-remote.js';
import { createPinnedAgent } from './pinned-agent.js';
import type { ResolveHost } from './resolve.js';

// Everything here talks to servers on 127.0.0.1 only. Host names go through a fake resolver
// (unknown names fail like NXDOMAIN), so real DNS is never asked; "public" and forbidden addresses
// in the fake answers are refused before any connection is attempted.

const payload = randomBytes(256 * 1024);
const MiB = 1024 * 1024;

interface Seen {
  path: string;
  host: string | undefined;
  userAgent: string | undefined;
  acceptEncoding: string | undefined;
  servername: string | false | null | undefined;
}

const seen: Seen[] = [];
/** Paths whose response was closed before it finished, i.e. the client hung up. */
const cutOff = new Set<string>();

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  seen.push({
    path: url.pathname,
    host: req.headers.host,
    userAgent: req.headers['user-agent'],
    acceptEncoding: req.headers['accept-encoding'],
    servername: (req.socket as Partial<TLSSocket>).servername,
  });
  res.on('close', () => {
    if (!res.writableFinished) cutOff.add(url.pathname);
  });
  const timers: NodeJS.Timeout[] = [];
  res.on('close', () => timers.forEach((t) => clearInterval(t)));

  switch (url.pathname) {
    case '/file.bin':
      res.writeHead(200, { 'content-type': 'image/png', 'content-length': payload.length });
      res.end(payload);
      return;
    case '/chunked': {
      // No Content-Length: only counting the streamed bytes can enforce the limit.
      const chunks = Number(url.searchParams.get('chunks') ?? '4');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      for (let i = 0; i < chunks; i++) res.write(Buffer.alloc(16 * 1024, i));
      res.end();
      return;
    }
    case '/declared-huge':
      // Declares 1 GiB, sends a little, then waits: the client must refuse on the header alone.
      res.writeHead(200, { 'content-length': String(1024 * MiB) });
      res.write(Buffer.alloc(1024));
      return;
    case '/endless':
      // Chunked and never-ending: only the streaming limit stops it.
      res.writeHead(200);
      timers.push(setInterval(() => res.write(Buffer.alloc(64 * 1024)), 1));
      return;
    case '/redirect':
      res.writeHead(Number(url.searchParams.get('status') ?? '302'), { location: url.searchParams.get('to') ?? '/' });
      res.end('moved');
      return;
    case '/redirect-no-location':
      res.writeHead(302);
      res.end();
      return;
    case '/loop':
      res.writeHead(302, { location: '/loop' });
      res.end();
      return;
    case '/chain': {
      const left = Number(url.searchParams.get('left') ?? '0');
      if (left > 0) res.writeHead(301, { location: `/chain?left=${left - 1}` }).end();
      else res.writeHead(200, { 'content-type': 'text/plain' }).end('end of chain');
      return;
    }
    case '/status':
      res.writeHead(Number(url.searchParams.get('code') ?? '500'));
      res.end('nope');
      return;
    case '/no-headers':
      // Accepts the request and never answers.
      return;
    case '/trickle':
      // Headers at once, then a byte every 20 ms forever: never idle long enough for an idle
      // timeout, so only the total deadline ends it.
      res.writeHead(200, { 'content-type': 'image/gif' });
      timers.push(setInterval(() => res.write('x'), 20));
      return;
    case '/paced': {
      // 100 bytes every 20 ms (5 000 bytes/s) for `ticks` ticks, then the end.
      let left = Number(url.searchParams.get('ticks') ?? '25');
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      const timer = setInterval(() => {
        res.write(Buffer.alloc(100, 1));
        if (--left === 0) {
          clearInterval(timer);
          res.end();
        }
      }, 20);
      timers.push(timer);
      return;
    }
    case '/burst-then-stall':
      // Fast (2 000 bytes at once), then nothing.
      res.writeHead(200, { 'content-type': 'application/octet-stream' });
      res.write(Buffer.alloc(2_000, 1));
      return;
    case '/stall':
      res.writeHead(200, { 'content-type': 'image/gif' });
      res.write('GIF89a');
      return;
    default:
      res.writeHead(404).end();
  }
}

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const cert = fixture('pinned.test.cert.pem');

let http: Server;
let https: Server;
let port: number;
let tlsPort: number;
let origin: string;

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

beforeAll(async () => {
  http = createServer(handle);
  https = createHttpsServer({ key: fixture('pinned.test.key.pem'), cert }, handle);
  port = await listen(http);
  tlsPort = await listen(https);
  origin = `http://127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const server of [http, https]) {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

/** A resolver answering from a table; any other name fails like NXDOMAIN. */
function fakeDns(table: Record<string, string[]>): { lookup: ResolveHost; calls: string[] } {
  const calls: string[] = [];
  const lookup: ResolveHost = (hostname) => {
    calls.push(hostname);
    const answers = table[hostname];
    if (answers === undefined) return Promise.reject(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }));
    return Promise.resolve(answers.map((address) => ({ address, family: isIP(address) === 6 ? (6 as const) : (4 as const) })));
  };
  return { lookup, calls };
}

/** Options for most tests: generous limits, and DNS that knows nothing. */
function opts(extra: Partial<FetchRemoteOptions> = {}): FetchRemoteOptions {
  return { maxBytes: MiB, timeoutMs: 3_000, lookup: fakeDns({}).lookup, ...extra };
}

const allowLocal = (): { allow: string[] } => ({ allow: [`127.0.0.1:${port}`] });

async function readAll(body: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function failure(promise: Promise<unknown>): Promise<RemoteFetchError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RemoteFetchError) return error;
    throw error;
  }
  throw new Error('expected a RemoteFetchError');
}

const requestsTo = (path: string): number => seen.filter((s) => s.path === path).length;

async function eventually(check: () => boolean, ms = 2_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('fetchRemote: the allowlist', () => {
  it('refuses the local server when it is not allowlisted, before connecting', async () => {
    const before = requestsTo('/file.bin');
    const error = await failure(fetchRemote(`${origin}/file.bin`, {}, opts()));
    expect(error.code).toBe('address_not_allowed');
    expect(error.message).toBe('Host 127.0.0.1 is a loopback address; only public addresses can be fetched.');
    // Other notations of the same server, and its other names, are refused the same way.
    for (const url of [`http://2130706433:${port}/file.bin`, `http://[::ffff:127.0.0.1]:${port}/file.bin`, `http://localhost:${port}/file.bin`]) {
      expect((await failure(fetchRemote(url, {}, opts()))).code).toBe('address_not_allowed');
    }
    // Allowing 127.0.0.1:port allows that host and port only, not other names for it.
    for (const url of [`http://[::ffff:127.0.0.1]:${port}/file.bin`, `http://localhost:${port}/file.bin`, `http://127.0.0.2:${port}/file.bin`]) {
      expect((await failure(fetchRemote(url, allowLocal(), opts()))).code).toBe('address_not_allowed');
    }
    expect(requestsTo('/file.bin')).toBe(before);
  });

  it('streams the exact bytes from an allowlisted server', async () => {
    const result = await fetchRemote(`${origin}/file.bin`, allowLocal(), opts());
    expect(result).toMatchObject({ contentType: 'image/png', contentLength: payload.length, finalUrl: `${origin}/file.bin`, redirects: 0 });
    const bytes = await readAll(result.body);
    expect(bytes.equals(payload)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ path: '/file.bin', userAgent: expect.stringMatching(/^Hoist/), acceptEncoding: 'identity' });
  });

  it('connects a host name to the address our resolver vetted, not to a fresh DNS answer', async () => {
    const dns = fakeDns({ 'files.example.test': ['127.0.0.1'] });
    const result = await fetchRemote(`http://files.example.test:${port}/file.bin`, { allow: [`files.example.test:${port}`] }, opts({ lookup: dns.lookup }));
    expect((await readAll(result.body)).equals(payload)).toBe(true);
    // One resolution, done by us; the socket used the pinned answer (the name is not in real DNS).
    expect(dns.calls).toEqual(['files.example.test']);
    expect(seen.at(-1)?.host).toBe(`files.example.test:${port}`);
  });
});

describe('fetchRemote: DNS answers', () => {
  it.each([
    ['private', ['10.0.0.7']],
    ['metadata', ['169.254.169.254']],
    ['loopback v6', ['::1']],
    ['mapped', ['::ffff:127.0.0.1']],
    ['mixed public and private', ['93.184.216.34', '192.168.0.10']],
  ])('refuses a host name resolving to a %s address', async (_label, answers) => {
    const dns = fakeDns({ 'images.example.com': answers });
    const error = await failure(fetchRemote('https://images.example.com/cat.png', {}, opts({ lookup: dns.lookup })));
    expect(error.code).toBe('address_not_allowed');
    expect(error.url).toBe('https://images.example.com/cat.png');
    expect(dns.calls).toEqual(['images.example.com']);
  });

  it('reports a name that does not resolve', async () => {
    const error = await failure(fetchRemote('https://nx.example.com/cat.png', {}, opts()));
    expect(error).toMatchObject({ code: 'dns_failed', retryable: true });
  });

  it('refuses local-only names without asking DNS', async () => {
    const dns = fakeDns({});
    for (const url of ['http://metadata.google.internal/computeMetadata/v1/', 'http://db.internal/', 'http://printer.local/', 'http://localhost/']) {
      expect((await failure(fetchRemote(url, {}, opts({ lookup: dns.lookup })))).code).toBe('address_not_allowed');
    }
    expect(dns.calls).toEqual([]);
  });
});

describe('fetchRemote: redirects', () => {
  const via = (to: string, status = 302): string => `${origin}/redirect?status=${status}&to=${encodeURIComponent(to)}`;

  it.each([
    ['the metadata address', 'http://169.254.169.254/latest/meta-data/', 'address_not_allowed'],
    ['IPv6 loopback', () => `http://[::1]:${port}/file.bin`, 'address_not_allowed'],
    ['a mapped IPv4', () => `http://[::ffff:a9fe:a9fe]/`, 'address_not_allowed'],
    ['the same server on another port', () => `http://127.0.0.1:${port + 1}/`, 'address_not_allowed'],
    ['localhost', () => `http://localhost:${port}/file.bin`, 'address_not_allowed'],
    ['a name resolving to a private address', 'http://internal.example.test/', 'address_not_allowed'],
    ['file:', 'file:///etc/passwd', 'redirect_not_allowed'],
    ['gopher:', 'gopher://127.0.0.1:6379/_INFO', 'redirect_not_allowed'],
    ['a URL with credentials', 'https://user:pw@example.com/', 'redirect_not_allowed'],
    ['a public host on a refused port', 'http://public.example.test:25/', 'redirect_not_allowed'],
    ['an invalid URL', 'http://[::1/', 'redirect_not_allowed'],
  ])('refuses a redirect to %s', async (_label, target, code) => {
    const dns = fakeDns({ 'internal.example.test': ['10.1.2.3'], 'public.example.test': ['93.184.216.34'] });
    const to = typeof target === 'string' ? target : target();
    const before = seen.length;
    const error = await failure(fetchRemote(via(to), allowLocal(), opts({ lookup: dns.lookup })));
    expect(error.code).toBe(code);
    expect(error.message).toMatch(/^Redirect /);
    expect(error.url).toBe(via(to));
    // Only the redirecting request reached a server.
    expect(seen.length).toBe(before + 1);
  });

  it('checks the allowlist at every hop and follows allowed redirects', async () => {
    const dns = fakeDns({ 'files.example.test': ['127.0.0.1'] });
    const policy = { allow: [`127.0.0.1:${port}`, `files.example.test:${port}`] };
    const result = await fetchRemote(via(`http://files.example.test:${port}/file.bin`, 307), policy, opts({ lookup: dns.lookup }));
    expect(result).toMatchObject({ finalUrl: `http://files.example.test:${port}/file.bin`, redirects: 1 });
    expect((await readAll(result.body)).equals(payload)).toBe(true);
    expect(dns.calls).toEqual(['files.example.test']);
  });

  it('follows relative redirects up to maxRedirects', async () => {
    const result = await fetchRemote(`${origin}/chain?left=3`, allowLocal(), opts({ maxRedirects: 3 }));
    expect(result).toMatchObject({ finalUrl: `${origin}/chain?left=0`, redirects: 3 });
    expect((await readAll(result.body)).toString()).toBe('end of chain');
  });

  it('gives up after maxRedirects', async () => {
    expect((await failure(fetchRemote(`${origin}/chain?left=3`, allowLocal(), opts({ maxRedirects: 2 })))).code).toBe('too_many_redirects');
    expect((await failure(fetchRemote(via('/file.bin'), allowLocal(), opts({ maxRedirects: 0 })))).code).toBe('too_many_redirects');
    const before = requestsTo('/loop');
    const error = await failure(fetchRemote(`${origin}/loop`, allowLocal(), opts()));
    expect(error).toMatchObject({ code: 'too_many_redirects', message: 'More than 5 redirects.' });
    expect(requestsTo('/loop') - before).toBe(6);
  });

  it('treats a redirect without Location as an error status', async () => {
    expect(await failure(fetchRemote(`${origin}/redirect-no-location`, allowLocal(), opts()))).toMatchObject({ code: 'http_status', status: 302 });
  });
});

describe('fetchRemote: status', () => {
  it.each([
    [404, false],
    [403, false],
    [500, true],
    [503, true],
    [429, true],
  ])('fails on %i (retryable: %s)', async (status, retryable) => {
    const error = await failure(fetchRemote(`${origin}/status?code=${status}`, allowLocal(), opts()));
    expect(error).toMatchObject({ code: 'http_status', status, retryable, message: `Server answered ${status}.` });
  });
});

describe('fetchRemote: size limit', () => {
  it('refuses a declared Content-Length above maxBytes without reading the body', async () => {
    const error = await failure(fetchRemote(`${origin}/declared-huge`, allowLocal(), opts({ maxBytes: 10 * MiB })));
    expect(error).toMatchObject({ code: 'too_large', message: 'Body of 1073741824 bytes is larger than the limit of 10485760 bytes.' });
    await eventually(() => cutOff.has('/declared-huge'));
  });

  it('fails the stream once a body without a length passes maxBytes', async () => {
    const result = await fetchRemote(`${origin}/endless`, allowLocal(), opts({ maxBytes: 256 * 1024 }));
    expect(result.contentLength).toBeUndefined();
    let received = 0;
    const error = await failure(
      (async () => {
        for await (const chunk of result.body) received += (chunk as Buffer).length;
      })(),
    );
    expect(error.code).toBe('too_large');
    expect(received).toBeLessThanOrEqual(256 * 1024);
    await eventually(() => cutOff.has('/endless'));
  });

  it('accepts a body of exactly maxBytes and refuses one byte less', async () => {
    const exact = await fetchRemote(`${origin}/chunked?chunks=4`, allowLocal(), opts({ maxBytes: 64 * 1024 }));
    expect((await readAll(exact.body)).length).toBe(64 * 1024);
    const over = await fetchRemote(`${origin}/chunked?chunks=4`, allowLocal(), opts({ maxBytes: 64 * 1024 - 1 }));
    expect((await failure(readAll(over.body))).code).toBe('too_large');
    const declared = await failure(fetchRemote(`${origin}/file.bin`, allowLocal(), opts({ maxBytes: payload.length - 1 })));
    expect(declared.code).toBe('too_large');
  });
});

describe('fetchRemote: time limits', () => {
  it('times out when the headers never come (total deadline)', async () => {
    const started = Date.now();
    const error = await failure(fetchRemote(`${origin}/no-headers`, allowLocal(), opts({ timeoutMs: 250 })));
    expect(error).toMatchObject({ code: 'timeout', message: 'Fetch did not finish within 250 ms.', retryable: true });
    expect(Date.now() - started).toBeGreaterThanOrEqual(240);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('times out when the headers never come (headers timeout)', async () => {
    const started = Date.now();
    const error = await failure(fetchRemote(`${origin}/no-headers`, allowLocal(), opts({ headersTimeoutMs: 200 })));
    expect(error).toMatchObject({ code: 'timeout', message: 'No response headers within 200 ms.' });
    expect(Date.now() - started).toBeLessThan(2_500);
  });

  it('ends a body that trickles forever at the total deadline', async () => {
    const started = Date.now();
    const result = await fetchRemote(`${origin}/trickle`, allowLocal(), opts({ timeoutMs: 300 }));
    const error = await failure(readAll(result.body));
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    expect(Date.now() - started).toBeLessThan(2_000);
    await eventually(() => cutOff.has('/trickle'));
  });

  it('ends a body slower than the minimum rate after one window, though it never goes idle', async () => {
    const started = Date.now();
    // /trickle sends 50 bytes/s; the floor is 1 000 bytes/s over 300 ms windows.
    const result = await fetchRemote(`${origin}/trickle`, allowLocal(), opts({ timeoutMs: 10_000, minRate: { bytesPerSecond: 1_000, windowMs: 300 } }));
    const error = await failure(readAll(result.body));
    expect(error).toMatchObject({ code: 'too_slow', retryable: false });
    expect(error.message).toMatch(/below the minimum of 1000 bytes\/s/);
    expect(Date.now() - started).toBeLessThan(2_000);
    await eventually(() => cutOff.has('/trickle'));
  });

  it('lets a body at or above the minimum rate finish, over several windows', async () => {
    // 5 000 bytes/s for 500 ms against a floor of 1 000 bytes/s over 100 ms windows.
    const result = await fetchRemote(`${origin}/paced?ticks=25`, allowLocal(), opts({ minRate: { bytesPerSecond: 1_000, windowMs: 100 } }));
    expect((await readAll(result.body)).length).toBe(25 * 100);
  });

  it('reports a body that stops altogether as a (retryable) idle timeout, not as too slow', async () => {
    const result = await fetchRemote(`${origin}/burst-then-stall`, allowLocal(), opts({ idleTimeoutMs: 400, minRate: { bytesPerSecond: 1_000, windowMs: 100 } }));
    const error = await failure(readAll(result.body));
    expect(error).toMatchObject({ code: 'timeout', retryable: true, message: 'Body stalled for more than 400 ms.' });
  });

  it('ends a body that stalls at the idle timeout', async () => {
    const result = await fetchRemote(`${origin}/stall`, allowLocal(), opts({ idleTimeoutMs: 200 }));
    const error = await failure(readAll(result.body));
    expect(error).toMatchObject({ code: 'timeout', message: 'Body stalled for more than 200 ms.' });
  });

  it('counts DNS against the deadline', async () => {
    const started = Date.now();
    const error = await failure(fetchRemote('https://slow-dns.example.com/', {}, opts({ timeoutMs: 200, lookup: () => new Promise(() => undefined) })));
    expect(error.code).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it("stops when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const pending = fetchRemote(`${origin}/no-headers`, allowLocal(), opts({ signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expect(await failure(pending)).toMatchObject({ code: 'aborted', retryable: false });
  });
});

describe('fetchRemote: consumer', () => {
  it('drops the connection when the consumer destroys the body', async () => {
    const result = await fetchRemote(`${origin}/trickle`, allowLocal(), opts());
    result.body.destroy();
    await eventually(() => cutOff.has('/trickle'));
  });
});

describe('fetchRemote: TLS with a pinned address', () => {
  const tls = (host: string, extra: Partial<FetchRemoteOptions> = {}) =>
    fetchRemote(`https://${host}:${tlsPort}/file.bin`, { allow: [`${host}:${tlsPort}`] }, opts({ lookup: fakeDns({ [host]: ['127.0.0.1'] }).lookup, ...extra }));

  it('sends the host name as SNI and verifies the certificate against it', async () => {
    const result = await tls('pinned.test', { ca: cert });
    expect((await readAll(result.body)).equals(payload)).toBe(true);
    expect(seen.at(-1)).toMatchObject({ servername: 'pinned.test', host: `pinned.test:${tlsPort}` });
  });

  it('refuses a certificate for another name, though the address is the same', async () => {
    const error = await failure(tls('wrong.test', { ca: cert }));
    expect(error.code).toBe('connection_failed');
    expect(error.message).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('refuses an untrusted certificate', async () => {
    const error = await failure(tls('pinned.test'));
    expect(error.code).toBe('connection_failed');
    expect(error.message).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY/);
  });
});

describe('createPinnedAgent', () => {
  it('refuses a connection that reached an address nobody vetted', async () => {
    // An IP-literal host skips `lookup` altogether; the check on the connected socket still holds.
    const agent = createPinnedAgent(new Map(), { connectTimeoutMs: 1_000 });
    try {
      await expect(request(`${origin}/file.bin`, { dispatcher: agent })).rejects.toMatchObject({ code: 'address_not_allowed' });
    } finally {
      await agent.destroy();
    }
  });
});
