import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey } from '@hoist/core';
import { KyselyApiKeyRepository } from '@hoist/db';
import { FileStore } from '@tus/file-store';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { useTestApp } from './test-support/use-test-app.js';
import { testAppDeps } from './test-support/app-deps.js';

// CORS_ORIGINS: a page on a listed origin may call /v1 (tus included) from the browser; any other
// origin gets no Access-Control-Allow-Origin, so its browser refuses to hand the answer over. As a
// browser sends them: preflights (OPTIONS with Access-Control-Request-*) and the actual requests.

const ALLOWED = 'https://app.example.com';
const REFUSED = 'https://evil.example.net';
const { db } = useTestDatabase();
let tusDir: string;
let key = '';

beforeAll(async () => {
  tusDir = await mkdtemp(join(tmpdir(), 'hoist-cors-test-'));
  const generated = generateApiKey();
  await new KyselyApiKeyRepository(db).create({ tenantId: 'acme', hash: generated.hash, prefix: generated.prefix });
  key = generated.key;
});
afterAll(async () => {
  await rm(tusDir, { recursive: true, force: true });
});

const tusStore = () => new FileStore({ directory: tusDir, expirationPeriodInMilliseconds: 60 * 60_000 });
const png = makePng(8, 8, 3);
const creation = (origin: string) => ({
  origin,
  authorization: `Bearer ${key}`,
  'tus-resumable': '1.0.0',
  'upload-length': String(png.length),
  'upload-metadata': `filename ${Buffer.from('tiny.png').toString('base64')}`,
});

describe('with CORS_ORIGINS set', () => {
  const app = useTestApp(() => testAppDeps(db, { auth: { mode: 'on', apiKeys: new KyselyApiKeyRepository(db) }, corsOrigins: [ALLOWED], tus: { datastore: tusStore() }, allowedContentTypes: ['image/png'] }));

  function preflight(url: string, origin: string, method: string, headers: string) {
    return app.inject({ method: 'OPTIONS', url, headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers } });
  }

  it('answers a preflight from a listed origin before auth, allowing the key, Idempotency-Key and the tus headers', async () => {
    for (const [url, method, headers] of [
      ['/v1/uploads', 'POST', 'authorization,idempotency-key'],
      ['/v1/uploads/0190a0f0-0000-7000-8000-000000000000', 'GET', 'authorization'],
      ['/v1/tus', 'POST', 'authorization,tus-resumable,upload-length,upload-metadata,idempotency-key'],
      ['/v1/tus/0190a0f0-0000-7000-8000-000000000000', 'PATCH', 'authorization,tus-resumable,upload-offset,content-type'],
    ] as const) {
      const response = await preflight(url, ALLOWED, method, headers);
      expect(response.statusCode, url).toBe(204);
      expect(response.headers['access-control-allow-origin'], url).toBe(ALLOWED);
      expect(String(response.headers['access-control-allow-methods']).split(', '), url).toContain(method);
      const allowed = String(response.headers['access-control-allow-headers']).toLowerCase().split(', ');
      for (const header of headers.split(',')) expect(allowed, `${url} ${header}`).toContain(header);
      expect(response.headers['access-control-allow-credentials'], url).toBeUndefined();
    }
  });

  it('gives a preflight from an unlisted origin no Access-Control-Allow-Origin, so the browser refuses', async () => {
    for (const url of ['/v1/uploads', '/v1/tus']) {
      const response = await preflight(url, REFUSED, 'POST', 'authorization');
      expect(response.headers['access-control-allow-origin'], url).toBeUndefined();
    }
  });

  it('lets a listed origin read answers and their headers — a 401 problem too — and no other origin', async () => {
    const listed = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { origin: ALLOWED, authorization: `Bearer ${key}` } });
    expect(listed.statusCode).toBe(200);
    expect(listed.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(listed.headers.vary).toMatch(/origin/i);
    const exposed = String(listed.headers['access-control-expose-headers']).split(/\s*,\s*/);
    for (const header of ['Location', 'ETag', 'Retry-After', 'Idempotent-Replayed', 'Hoist-Deduplicated', 'Hoist-Upload-Status', 'Upload-Offset', 'Tus-Resumable']) expect(exposed).toContain(header);

    const unauthorized = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { origin: ALLOWED } });
    expect(unauthorized.statusCode).toBe(401);
    expect(unauthorized.headers['access-control-allow-origin']).toBe(ALLOWED);

    const refused = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { origin: REFUSED, authorization: `Bearer ${key}` } });
    expect(refused.statusCode).toBe(200);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('answers tus creations and PATCHes (written by @tus/server) with the same origins and exposed headers', async () => {
    const created = await app.inject({ method: 'POST', url: '/v1/tus', headers: creation(ALLOWED) });
    expect(created.statusCode).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBe(ALLOWED);
    const exposed = String(created.headers['access-control-expose-headers']).split(/\s*,\s*/);
    for (const header of ['Location', 'Upload-Offset', 'Hoist-Upload-Status', 'Idempotent-Replayed']) expect(exposed).toContain(header);

    const patched = await app.inject({
      method: 'PATCH',
      url: String(created.headers.location),
      headers: { origin: ALLOWED, authorization: `Bearer ${key}`, 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      payload: png,
    });
    expect(patched.statusCode).toBe(204);
    expect(patched.headers['access-control-allow-origin']).toBe(ALLOWED);
    expect(patched.headers['hoist-upload-status']).toBe('queued');
    // Answers differ by Origin: a shared cache must not hand one origin's answer to another.
    for (const answer of [created, patched]) expect(answer.headers.vary).toMatch(/\borigin\b/i);

    // @tus/server's own default would answer `*` here (or name the first listed origin): never.
    const refused = await app.inject({ method: 'POST', url: '/v1/tus', headers: creation(REFUSED) });
    expect(refused.statusCode).toBe(201);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
    const head = await app.inject({ method: 'HEAD', url: String(refused.headers.location), headers: { origin: REFUSED, authorization: `Bearer ${key}`, 'tus-resumable': '1.0.0' } });
    expect(head.statusCode).toBe(200);
    expect(head.headers['access-control-allow-origin']).toBeUndefined();
    for (const answer of [refused, head]) expect(answer.headers.vary).toMatch(/\borigin\b/i);
  });

  it('lets a listed origin follow an upload over Server-Sent Events (a hijacked reply) and no other origin', async () => {
    // A tus upload terminated before its bytes: cancelled, final, so its stream sends one event and ends.
    const created = await app.inject({ method: 'POST', url: '/v1/tus', headers: creation(ALLOWED) });
    const id = String(created.headers.location).split('/').pop()!;
    expect((await app.inject({ method: 'DELETE', url: `/v1/tus/${id}`, headers: { authorization: `Bearer ${key}`, 'tus-resumable': '1.0.0' } })).statusCode).toBe(204);

    const followed = await app.inject({ method: 'GET', url: `/v1/uploads/${id}/events`, headers: { origin: ALLOWED, authorization: `Bearer ${key}` } });
    expect(followed.statusCode).toBe(200);
    expect(followed.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(followed.body).toContain('"status":"cancelled"');
    expect(followed.headers['access-control-allow-origin']).toBe(ALLOWED);

    const refused = await app.inject({ method: 'GET', url: `/v1/uploads/${id}/events`, headers: { origin: REFUSED, authorization: `Bearer ${key}` } });
    expect(refused.statusCode).toBe(200);
    expect(refused.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('without CORS_ORIGINS (the default)', () => {
  const app = useTestApp(() => testAppDeps(db, { tus: { datastore: tusStore() }, allowedContentTypes: ['image/png'] }));

  it('sends no CORS headers at all, on tus answers neither, and a preflight is 404 like any unknown route', async () => {
    const listed = await app.inject({ method: 'GET', url: '/v1/uploads', headers: { origin: REFUSED } });
    expect(listed.statusCode).toBe(200);
    expect(Object.keys(listed.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);

    const created = await app.inject({ method: 'POST', url: '/v1/tus', headers: creation(REFUSED) });
    expect(created.statusCode).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBeUndefined();

    const preflight = await app.inject({ method: 'OPTIONS', url: '/v1/tus', headers: { origin: REFUSED, 'access-control-request-method': 'POST' } });
    expect(preflight.statusCode).toBe(404);
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});
