import { Writable } from 'node:stream';
import { generateApiKey } from '@hoist/core';
import { KyselyApiKeyRepository } from '@hoist/db';
import { pinoOptions } from '@hoist/logger';
import { BullJobQueue, createRedis, openQueues, QUEUE_NAMES, UPLOAD_QUEUE, type Queue, type Redis } from '@hoist/queue';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { buildApp } from './app.js';
import { AdminSessions } from './plugins/admin-auth.js';
import { testAppDeps } from './test-support/app-deps.js';

const TOKEN = 'admin-token-for-tests-3f9a1c7e5b';
const API = '/admin/queues/api/queues';
const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

const { db } = useTestDatabase();
let redis: Redis;
let uploads: BullJobQueue;
let queues: Queue[];
let tenantKey: string;
/** Dashboard on, actions allowed; logs captured at trace level. */
let app: FastifyInstance;
/** No ADMIN_TOKEN. */
let plain: FastifyInstance;
/** ADMIN_READ_ONLY=true. */
let readOnly: FastifyInstance;
const logLines: string[] = [];
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  redis = createRedis(redisUrl, 'producer');
  uploads = new BullJobQueue({ connection: redis, prefix, attempts: 2 });
  // Real jobs for the board to count (no worker runs here, so they stay waiting).
  await uploads.enqueueUpload('0197a1b2-0000-7000-8000-000000000001');
  await uploads.enqueueUpload('0197a1b2-0000-7000-8000-000000000002');
  queues = openQueues(redis, prefix);
  const apiKeys = new KyselyApiKeyRepository(db);
  const generated = generateApiKey();
  await apiKeys.create({ tenantId: 'acme', hash: generated.hash, prefix: generated.prefix });
  tenantKey = generated.key;

  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString());
      done();
    },
  });
  const auth = { mode: 'on' as const, apiKeys };
  app = await buildApp(testAppDeps(db, { auth, logger: pino(pinoOptions({ name: 'api-test', level: 'trace', format: 'json' }), sink), admin: { token: TOKEN, queues } }));
  plain = await buildApp(testAppDeps(db, { auth }));
  readOnly = await buildApp(testAppDeps(db, { auth, admin: { token: TOKEN, queues, readOnly: true } }));
  cleanups.push(async () => {
    await Promise.all([app.close(), plain.close(), readOnly.close()]);
    await Promise.all(queues.map((queue) => queue.close()));
    await uploads.close();
    redis.disconnect();
    await clear();
  });
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

function login(target: FastifyInstance, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return target.inject({
    method: 'POST',
    url: '/admin/login',
    headers: { ...BROWSER, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  });
}

/** The session cookie's `name=value` from a Set-Cookie header, and the whole header. */
function sessionCookie(response: LightMyRequestResponse): { pair: string; header: string } {
  const header = [response.headers['set-cookie'] ?? []].flat().find((c) => c.startsWith('hoist_admin='));
  if (!header) throw new Error(`no session cookie in ${JSON.stringify(response.headers)}`);
  return { pair: header.split(';')[0] ?? '', header };
}

function expectUnauthorizedProblem(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.headers['www-authenticate']).toMatch(/^Bearer realm="hoist-admin"/);
  expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:unauthorized', status: 401 });
  expect(response.body).not.toContain('"queues"');
}

describe('queue dashboard at /admin/queues', () => {
  it('is off without ADMIN_TOKEN: every /admin path is a 404 problem', async () => {
    for (const url of ['/admin/queues', '/admin/queues/', API, '/admin/login', '/admin/queues/static/favicon-32x32.png']) {
      const response = await plain.inject({ method: 'GET', url, headers: { authorization: `Bearer ${TOKEN}` } });
      expect(response.statusCode, url).toBe(404);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
    expect((await login(plain, { token: TOKEN })).statusCode).toBe(404);
  });

  it('refuses API-style requests without the token with a 401 problem', async () => {
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: API }));
    expectUnauthorizedProblem(await app.inject({ method: 'PUT', url: `${API}/${UPLOAD_QUEUE}/pause` }));
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: '/admin/queues', headers: { accept: 'application/json' } }));
  });

  it('sends a browser without a session to the login page, and back afterwards', async () => {
    const page = await app.inject({ method: 'GET', url: '/admin/queues/queue/uploads?status=completed', headers: BROWSER });
    expect(page.statusCode).toBe(303);
    const location = page.headers.location ?? '';
    expect(location).toBe(`/admin/login?next=${encodeURIComponent('/admin/queues/queue/uploads?status=completed')}`);
    const form = await app.inject({ method: 'GET', url: location, headers: BROWSER });
    expect(form.statusCode).toBe(200);
    expect(form.headers['content-type']).toMatch(/^text\/html/);
    expect(form.body).toContain('<form method="post" action="/admin/login">');
    expect(form.body).toContain('value="/admin/queues/queue/uploads?status=completed"');
    const signedIn = await login(app, { token: TOKEN, next: '/admin/queues/queue/uploads?status=completed' });
    expect(signedIn.headers.location).toBe('/admin/queues/queue/uploads?status=completed');
  });

  it('refuses a wrong token, a forged cookie and an expired session', async () => {
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: API, headers: { authorization: `Bearer ${TOKEN}x` } }));
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: API, headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` } }));
    // A wrong bearer token is refused outright, even from a browser (no redirect that hides the mistake).
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: '/admin/queues', headers: { ...BROWSER, authorization: 'Bearer nope' } }));
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: API, headers: { cookie: `hoist_admin=${TOKEN}` } }));
    const otherKey = new AdminSessions('another-admin-token-0123456789', 60_000).create();
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: API, headers: { cookie: `hoist_admin=${otherKey}` } }));
    const expired = new AdminSessions(TOKEN, 60_000, () => Date.now() - 120_000).create();
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: API, headers: { cookie: `hoist_admin=${expired}` } }));
    const valid = new AdminSessions(TOKEN, 60_000).create();
    expect((await app.inject({ method: 'GET', url: API, headers: { cookie: `hoist_admin=${valid}` } })).statusCode).toBe(200);
  });

  it("refuses a tenant's API key, which works on /v1", async () => {
    const tenant = { authorization: `Bearer ${tenantKey}` };
    expect((await app.inject({ method: 'GET', url: '/v1/uploads', headers: tenant })).statusCode).toBe(200);
    expectUnauthorizedProblem(await app.inject({ method: 'GET', url: API, headers: tenant }));
    expect((await login(app, { token: tenantKey })).statusCode).toBe(401);
  });

  it('shows every Hoist queue, with its real jobs, to the bearer token', async () => {
    const response = await app.inject({ method: 'GET', url: API, headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ queues: Array<{ name: string; readOnlyMode: boolean; counts: Record<string, number> }> }>();
    expect(body.queues.map((q) => q.name).sort()).toEqual([...QUEUE_NAMES].sort());
    const upload = body.queues.find((q) => q.name === UPLOAD_QUEUE);
    // Both jobs wait for a worker (as plain waiting jobs, or prioritized ones when enqueued with a priority).
    expect((upload?.counts.waiting ?? 0) + (upload?.counts.prioritized ?? 0)).toBe(2);
    expect(upload?.readOnlyMode).toBe(false);

    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: { ...BROWSER, authorization: `Bearer ${TOKEN}` } });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['x-frame-options']).toBe('DENY');
    expect(page.body).toContain('<title>Hoist queues</title>');
  });

  it('signs a browser in with an HttpOnly, Secure, SameSite=Strict cookie that is not the token', async () => {
    const response = await login(app, { token: TOKEN });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/queues');
    const { pair, header } = sessionCookie(response);
    expect(header).toMatch(/; HttpOnly/);
    expect(header).toMatch(/; Secure/);
    expect(header).toMatch(/; SameSite=Strict/);
    expect(header).toMatch(/; Path=\/admin(;|$)/);
    expect(header).toMatch(/; Max-Age=43200/);
    expect(header).not.toContain(TOKEN);

    const api = await app.inject({ method: 'GET', url: API, headers: { cookie: pair } });
    expect(api.statusCode).toBe(200);
    const page = await app.inject({ method: 'GET', url: '/admin/queues', headers: { ...BROWSER, cookie: pair } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<title>Hoist queues</title>');
    const signedIn = await app.inject({ method: 'GET', url: '/admin/login', headers: { ...BROWSER, cookie: pair } });
    expect(signedIn.body).toContain('You are signed in');
  });

  it('never redirects a sign-in to another site', async () => {
    for (const next of ['https://evil.example/', '//evil.example/admin/queues', '/admin/queues\\@evil.example', '/v1/uploads']) {
      expect((await login(app, { token: TOKEN, next })).headers.location, next).toBe('/admin/queues');
    }
  });

  it('answers a bad sign-in with a clear page, never a 5xx', async () => {
    const wrong = await login(app, { token: 'wrong-token-0123456789abcdef' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['content-type']).toMatch(/^text\/html/);
    expect(wrong.body).toContain('That is not the admin token.');
    expect(wrong.body).toContain('<form method="post" action="/admin/login">');
    expect(wrong.headers['set-cookie']).toBeUndefined();

    const empty = await login(app, {});
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter the admin token.');

    const json = await app.inject({ method: 'POST', url: '/admin/login', payload: { token: 'nope' } });
    expect(json.statusCode).toBe(401);
    const garbage = await app.inject({ method: 'POST', url: '/admin/login', headers: { 'content-type': 'application/json' }, payload: '{"token":' });
    expect(garbage.statusCode).toBe(400);
    const nothing = await app.inject({ method: 'POST', url: '/admin/login' });
    expect(nothing.statusCode).toBe(400);
  });

  it('signs out by clearing the cookie', async () => {
    const page = await app.inject({ method: 'GET', url: '/admin/logout', headers: BROWSER });
    expect(page.body).toContain('<form method="post" action="/admin/logout">');
    const response = await app.inject({ method: 'POST', url: '/admin/logout', headers: BROWSER });
    expect(response.statusCode).toBe(303);
    expect(response.headers.location).toBe('/admin/login');
    const { pair, header } = sessionCookie(response);
    expect(pair).toBe('hoist_admin=');
    expect(header).toMatch(/; Path=\/admin/);
    expect(header).toMatch(/Expires=Thu, 01 Jan 1970/);
  });

  it('lets an admin act on a queue, unless ADMIN_READ_ONLY is set', async () => {
    const bearer = { authorization: `Bearer ${TOKEN}` };
    const refused = await readOnly.inject({ method: 'PUT', url: `${API}/${UPLOAD_QUEUE}/pause`, headers: bearer });
    expect(refused.statusCode).toBe(405);
    expect(await uploads.queue.isPaused()).toBe(false);
    const listed = await readOnly.inject({ method: 'GET', url: API, headers: bearer });
    expect(listed.json<{ queues: Array<{ readOnlyMode: boolean }> }>().queues.every((q) => q.readOnlyMode)).toBe(true);
    const page = await readOnly.inject({ method: 'GET', url: '/admin/queues', headers: { ...BROWSER, ...bearer } });
    expect(page.body).toContain('<title>Hoist queues (read-only)</title>');

    const paused = await app.inject({ method: 'PUT', url: `${API}/${UPLOAD_QUEUE}/pause`, headers: bearer });
    expect(paused.statusCode).toBe(200);
    expect(await uploads.queue.isPaused()).toBe(true);
    expect((await app.inject({ method: 'PUT', url: `${API}/${UPLOAD_QUEUE}/resume`, headers: bearer })).statusCode).toBe(200);
    expect(await uploads.queue.isPaused()).toBe(false);
  });

  it('refuses sign-in, sign-out and actions posted from another origin, even a sibling subdomain, with 403', async () => {
    const session = sessionCookie(await login(app, { token: TOKEN })).pair;
    const host = { host: 'hoist.example.com' };
    const form = { ...BROWSER, ...host, 'content-type': 'application/x-www-form-urlencoded' };
    const forged = [
      { method: 'POST' as const, url: '/admin/login', headers: { ...form, origin: 'https://evil.example.com' }, payload: `token=${TOKEN}` },
      { method: 'POST' as const, url: '/admin/logout', headers: { ...form, cookie: session, origin: 'https://evil.example.com' } },
      { method: 'PUT' as const, url: `${API}/${UPLOAD_QUEUE}/pause`, headers: { ...host, cookie: session, origin: 'https://evil.example.com' } },
      { method: 'PUT' as const, url: `${API}/${UPLOAD_QUEUE}/pause`, headers: { ...host, cookie: session, origin: 'null' } },
      { method: 'PUT' as const, url: `${API}/${UPLOAD_QUEUE}/pause`, headers: { ...host, cookie: session, 'sec-fetch-site': 'same-site', origin: 'https://evil.example.com' } },
      { method: 'PUT' as const, url: `${API}/${UPLOAD_QUEUE}/pause`, headers: { ...host, cookie: session, referer: 'https://evil.example.com/page' } },
    ];
    for (const request of forged) {
      const response = await app.inject(request);
      expect(response.statusCode, JSON.stringify(request.headers)).toBe(403);
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:cross-origin-request', status: 403 });
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    expect(await uploads.queue.isPaused()).toBe(false);
  });

  it("lets the dashboard's own pages act: same Origin, or Sec-Fetch-Site: same-origin without Origin", async () => {
    const session = sessionCookie(await login(app, { token: TOKEN })).pair;
    const host = { host: 'hoist.example.com' };
    const signedIn = await app.inject({
      method: 'POST',
      url: '/admin/login',
      headers: { ...BROWSER, ...host, origin: 'https://hoist.example.com', 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ token: TOKEN }).toString(),
    });
    expect(signedIn.statusCode).toBe(303);
    const paused = await app.inject({ method: 'PUT', url: `${API}/${UPLOAD_QUEUE}/pause`, headers: { ...host, cookie: session, origin: 'https://hoist.example.com' } });
    expect(paused.statusCode).toBe(200);
    expect(await uploads.queue.isPaused()).toBe(true);
    const resumed = await app.inject({ method: 'PUT', url: `${API}/${UPLOAD_QUEUE}/resume`, headers: { ...host, cookie: session, 'sec-fetch-site': 'same-origin' } });
    expect(resumed.statusCode).toBe(200);
    expect(await uploads.queue.isPaused()).toBe(false);
  });

  it('never writes the token or a session cookie to the logs', async () => {
    const session = sessionCookie(await login(app, { token: TOKEN })).pair.split('=')[1] ?? '';
    await app.inject({ method: 'GET', url: API, headers: { authorization: `Bearer ${TOKEN}`, cookie: `hoist_admin=${session}` } });
    await login(app, { token: 'wrong-token-that-must-not-be-logged' });
    const logs = logLines.join('');
    expect(logs).toContain('admin signed in');
    expect(logs).toContain('admin sign-in refused');
    expect(logs).toContain('incoming request');
    expect(session.length).toBeGreaterThan(40);
    expect(logs).not.toContain(TOKEN);
    expect(logs).not.toContain(session);
    expect(logs).not.toContain('wrong-token-that-must-not-be-logged');
  });
});
