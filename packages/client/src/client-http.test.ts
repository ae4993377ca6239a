import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HoistApiError, HoistClient, HoistNetworkError, HoistTimeoutError } from './node.js';

// The retry rule, against a loopback server that answers as scripted: what is repeated, how often,
// after how long, with which headers — and what the caller gets when it gives up.

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}
type Answer = (response: ServerResponse, request: IncomingMessage) => void;

const upload = { id: 'u1', status: 'queued' };
const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => (response) => {
  response.writeHead(status, { 'content-type': status >= 400 ? 'application/problem+json' : 'application/json', ...headers }).end(JSON.stringify(body));
};
const problem = (status: number, slug: string, headers: Record<string, string> = {}) => json(status, { type: `urn:hoist:problem:${slug}`, title: slug, status, detail: `${slug} happened` }, headers);
const reset: Answer = (_response, request) => request.socket.destroy();

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function scripted(answers: Answer[]): Promise<{ client: HoistClient; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      seen.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('latin1') });
      (answers[seen.length - 1] ?? problem(500, 'internal-error'))(response, request);
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { client: new HoistClient({ baseUrl: `http://127.0.0.1:${port}/`, apiKey: 'hoist_sk_test', retries: 2, retryDelayMs: 10 }), seen };
}

describe('HoistClient retries', () => {
  it('repeats a read after a 503 and a dropped connection, with the API key each time', async () => {
    const { client, seen } = await scripted([problem(503, 'service-unavailable'), reset, json(200, upload)]);
    expect(await client.get('u1')).toEqual(upload);
    expect(seen.map((s) => `${s.method} ${s.url}`)).toEqual(Array(3).fill('GET /v1/uploads/u1'));
    expect(seen.every((s) => s.headers.authorization === 'Bearer hoist_sk_test')).toBe(true);
  });

  it('waits out a 429 Retry-After', async () => {
    const { client, seen } = await scripted([problem(429, 'too-many-requests', { 'retry-after': '1' }), json(200, upload)]);
    const started = Date.now();
    await client.get('u1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    expect(seen).toHaveLength(2);
  });

  it('gives up at once on a Retry-After longer than a minute, saying how long', async () => {
    const { client, seen } = await scripted([problem(429, 'too-many-unfinished-uploads', { 'retry-after': '120' })]);
    const error = await client.get('u1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HoistApiError);
    expect(error).toMatchObject({ status: 429, code: 'too-many-unfinished-uploads', retryAfterSeconds: 120, detail: 'too-many-unfinished-uploads happened' });
    expect(seen).toHaveLength(1);
  });

  it('never repeats a refusal, and turns a non-problem answer into a HoistApiError too', async () => {
    const { client, seen } = await scripted([problem(409, 'upload-not-cancellable')]);
    await expect(client.cancel('u1')).rejects.toMatchObject({ status: 409, code: 'upload-not-cancellable' });
    expect(seen).toHaveLength(1);

    const badGateway: Answer = (response) => response.writeHead(502, { 'content-type': 'text/html' }).end('<h1>Bad gateway</h1>');
    const proxied = await scripted([badGateway, badGateway, badGateway]);
    const error = (await proxied.client.get('u1').catch((e: unknown) => e)) as HoistApiError;
    expect(error).toMatchObject({ status: 502, code: 'about:blank' });
    expect(error.detail).toContain('Bad gateway');
    expect(proxied.seen).toHaveLength(3);
  });

  it('does not repeat a retry() whose answer was lost (it may have happened), only one the server refused', async () => {
    const lost = await scripted([reset, json(202, upload)]);
    await expect(lost.client.retry('u1')).rejects.toBeInstanceOf(HoistNetworkError);
    expect(lost.seen).toHaveLength(1);
    const refused = await scripted([problem(503, 'service-unavailable'), problem(409, 'upload-settling', { 'retry-after': '1' }), json(202, upload)]);
    expect(await refused.client.retry('u1')).toEqual(upload);
    expect(refused.seen).toHaveLength(3);
  });

  it('sends an upload again whole, under the same Idempotency-Key', async () => {
    const { client, seen } = await scripted([reset, problem(503, 'service-unavailable'), json(202, { id: 'u1', status: 'queued', statusUrl: '/v1/uploads/u1' })]);
    const bytes = new TextEncoder().encode('PNG-ish bytes, whole each time');
    const accepted = await client.upload(bytes, { filename: 'a.png', tags: ['x', 'y'] });
    expect(accepted).toMatchObject({ id: 'u1', transport: 'multipart', replayed: false });
    expect(seen).toHaveLength(3);
    const keys = new Set(seen.map((s) => s.headers['idempotency-key']));
    expect(keys.size).toBe(1);
    expect([...keys][0]).toMatch(/^[0-9a-f-]{32,36}$/);
    for (const request of seen) {
      expect(request.body).toContain('PNG-ish bytes, whole each time');
      expect(request.body).toMatch(/name="tags"\r\n\r\nx,y\r\n/);
      expect(request.body.indexOf('name="tags"')).toBeLessThan(request.body.indexOf('name="file"'));
    }
  });

  it('reports no answer after the last retry as a HoistNetworkError', async () => {
    const { client, seen } = await scripted([reset, reset, reset, reset]);
    const error = await client.get('u1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HoistNetworkError);
    expect((error as Error).message).toMatch(/^No answer from GET http:\/\/127\.0\.0\.1:\d+\/v1\/uploads\/u1/);
    expect(seen).toHaveLength(3);
  });

  it('stops at once when the caller aborts', async () => {
    const { client } = await scripted([problem(429, 'too-many-requests', { 'retry-after': '30' })]);
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error('user gave up')), 100);
    await expect(client.get('u1', { signal: abort.signal })).rejects.toThrow('user gave up');
  });
});

describe('HoistClient following an upload', () => {
  const at = (status: string, updatedAt: string) => ({ id: 'u1', status, updatedAt });
  const events = (...uploads: Array<ReturnType<typeof at>>): Answer => (response) => {
    response.writeHead(200, { 'content-type': 'text/event-stream' });
    response.end(uploads.map((upload) => `event: status\ndata: ${JSON.stringify(upload)}\n\n`).join(''));
  };

  it('waitFor holds long-polls of at most 50 s and answers the final upload', async () => {
    const { client, seen } = await scripted([json(200, at('processing', 't1')), json(200, at('succeeded', 't2'))]);
    const updates: string[] = [];
    expect(await client.waitFor('u1', { onUpdate: (u) => updates.push(u.status) })).toEqual(at('succeeded', 't2'));
    expect(seen.map((s) => s.url)).toEqual(['/v1/uploads/u1?wait=50', '/v1/uploads/u1?wait=50']);
    expect(updates).toEqual(['processing', 'succeeded']);
  });

  it('waitFor keeps its timeout while a request hangs, and reads once even with no time at all', async () => {
    const { client } = await scripted([() => undefined]);
    const started = Date.now();
    const error = await client.waitFor('u1', { timeout: 1_500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HoistTimeoutError);
    expect(Date.now() - started).toBeLessThan(4_000);

    const once = await scripted([json(200, at('processing', 't1'))]);
    const none = (await once.client.waitFor('u1', { timeout: 0 }).catch((e: unknown) => e)) as HoistTimeoutError;
    expect(none).toBeInstanceOf(HoistTimeoutError);
    expect(none.upload).toEqual(at('processing', 't1'));
    expect(once.seen.map((s) => s.url)).toEqual(['/v1/uploads/u1']);
  });

  it('waitFor with a timeout waits out an outage longer than one read’s retries', async () => {
    const { client, seen } = await scripted([...Array<Answer>(7).fill(problem(503, 'service-unavailable')), reset, json(200, at('succeeded', 't2'))]);
    expect(await client.waitFor('u1', { timeout: 20_000 })).toEqual(at('succeeded', 't2'));
    expect(seen).toHaveLength(9);
    // Without a timeout, the read's own retries are all it gets.
    const impatient = await scripted(Array<Answer>(5).fill(problem(503, 'service-unavailable')));
    await expect(impatient.client.waitFor('u1')).rejects.toMatchObject({ status: 503 });
    expect(impatient.seen).toHaveLength(3);
  });

  it('watch yields each change once across reconnects, and stops at the final status', async () => {
    const { client, seen } = await scripted([events(at('queued', 't1'), at('processing', 't2')), events(at('processing', 't2')), events(at('processing', 't2'), at('succeeded', 't3'))]);
    const statuses: string[] = [];
    for await (const upload of client.watch('u1')) statuses.push(upload.status);
    expect(statuses).toEqual(['queued', 'processing', 'succeeded']);
    expect(seen.map((s) => `${s.url} ${s.headers.accept}`)).toEqual(Array(3).fill('/v1/uploads/u1/events text/event-stream'));
  });

  it('watch gives up on streams that keep ending without news, and on an answer that is no event stream', async () => {
    const empty = events(at('processing', 't1'));
    const { client, seen } = await scripted(Array(10).fill(empty) as Answer[]);
    const statuses: string[] = [];
    const error = await (async () => {
      for await (const upload of client.watch('u1')) statuses.push(upload.status);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(HoistNetworkError);
    expect(statuses).toEqual(['processing']);
    expect(seen).toHaveLength(4);

    const portal = await scripted([(response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>Sign in to the Wi-Fi</h1>')]);
    const notStream = await portal.client.watch('u1').next().catch((e: unknown) => e);
    expect(notStream).toBeInstanceOf(HoistNetworkError);
    expect((notStream as Error).message).toContain('not an event stream');
  });
});
