import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RemoteFetchError } from './errors.js';
import { postRemote } from './post-remote.js';
import type { ResolveHost } from './resolve.js';

// A receiver on 127.0.0.1; host names go through fake resolvers, so real DNS is never asked.

interface Received {
  path: string;
  method: string | undefined;
  body: string;
  headers: IncomingMessage['headers'];
}

const received: Received[] = [];
let server: Server;
let port = 0;
let origin = '';

function handle(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    received.push({ path, method: req.method, body: Buffer.concat(chunks).toString(), headers: req.headers });
    switch (path) {
      case '/ok':
        res.writeHead(204).end();
        return;
      case '/unavailable':
        res.writeHead(503).end('try later');
        return;
      case '/redirect':
        res.writeHead(307, { location: `${origin}/ok` }).end();
        return;
      case '/big':
        res.writeHead(200);
        res.end(Buffer.alloc(1024 * 1024));
        return;
      case '/slow':
        // Never answers; the deadline must end it.
        return;
      default:
        res.writeHead(404).end();
    }
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const allowLocal = () => ({ allow: [`127.0.0.1:${port}`] });
const noDns: ResolveHost = () => Promise.reject(Object.assign(new Error('NXDOMAIN'), { code: 'ENOTFOUND' }));

async function failure(promise: Promise<unknown>): Promise<RemoteFetchError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof RemoteFetchError) return error;
    throw error;
  }
  throw new Error('expected a RemoteFetchError');
}

describe('postRemote', () => {
  it('POSTs the body and headers to an allowlisted receiver and returns its status', async () => {
    const result = await postRemote(`${origin}/ok`, allowLocal(), { body: '{"a":1}', headers: { 'content-type': 'application/json', 'x-test': 'yes' }, lookup: noDns });
    expect(result).toEqual({ statusCode: 204 });
    expect(received.at(-1)).toMatchObject({ path: '/ok', method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json', 'x-test': 'yes' } });
  });

  it('returns error statuses rather than throwing, and reads only so much of a large answer', async () => {
    expect(await postRemote(`${origin}/unavailable`, allowLocal(), { body: 'x', lookup: noDns })).toEqual({ statusCode: 503 });
    expect(await postRemote(`${origin}/big`, allowLocal(), { body: 'x', lookup: noDns, maxResponseBytes: 1024 })).toEqual({ statusCode: 200 });
  });

  it('never follows a redirect', async () => {
    const before = received.filter((r) => r.path === '/ok').length;
    expect(await postRemote(`${origin}/redirect`, allowLocal(), { body: 'x', lookup: noDns })).toEqual({ statusCode: 307 });
    expect(received.filter((r) => r.path === '/ok').length).toBe(before);
  });

  it('refuses what URL uploads refuse, before connecting', async () => {
    const before = received.length;
    expect((await failure(postRemote(`${origin}/ok`, {}, { body: 'x', lookup: noDns }))).code).toBe('address_not_allowed');
    expect((await failure(postRemote(`http://localhost:${port}/ok`, allowLocal(), { body: 'x', lookup: noDns }))).code).toBe('address_not_allowed');
    expect((await failure(postRemote('http://169.254.169.254/latest', {}, { body: 'x', lookup: noDns }))).code).toBe('address_not_allowed');
    expect((await failure(postRemote('ftp://example.com/x', {}, { body: 'x', lookup: noDns }))).code).toBe('scheme_not_allowed');
    // A public-looking name that resolves to a private address (DNS rebinding, split horizon).
    const rebinding: ResolveHost = () => Promise.resolve([{ address: '10.0.0.7', family: 4 }]);
    expect((await failure(postRemote('http://hooks.example.com/x', {}, { body: 'x', lookup: rebinding }))).code).toBe('address_not_allowed');
    expect((await failure(postRemote('http://nowhere.example.com/x', {}, { body: 'x', lookup: noDns }))).code).toBe('dns_failed');
    expect(received.length).toBe(before);
  });

  it('gives up at the deadline', async () => {
    const startedAt = Date.now();
    const error = await failure(postRemote(`${origin}/slow`, allowLocal(), { body: 'x', lookup: noDns, timeoutMs: 300 }));
    expect(error.code).toBe('timeout');
    expect(Date.now() - startedAt).toBeLessThan(2_000);
  });

  it('reports a receiver that is down', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const error = await failure(postRemote(`http://127.0.0.1:${closedPort}/x`, { allow: [`127.0.0.1:${closedPort}`] }, { body: 'x', lookup: noDns }));
    expect(error.code).toBe('connection_failed');
    expect(error.retryable).toBe(true);
  });
});
