import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, KyselyApiKeyRepository, KyselyUploadRepository, pingDatabase } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { BullJobQueue, createRedis, pingRedis, type Redis } from '@hoist/queue';
import { LocalTempStorage } from '@hoist/temp-storage';
import { singleProviderCatalog } from '@hoist/core';
import { CLOUDINARY_LIMITS } from '@hoist/provider-cloudinary';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { buildApp } from './app.js';

const MAX_BYTES = 64 * 1024;
let app: FastifyInstance;
const { db } = useTestDatabase();
let redis: Redis;
let queue: BullJobQueue;
let tmpDir: string;
const cleanups: Array<() => Promise<void>> = [];

beforeAll(async () => {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  redis = createRedis(redisUrl, 'producer');
  queue = new BullJobQueue({ connection: redis, prefix, attempts: 4 });
  tmpDir = await mkdtemp(join(tmpdir(), 'hoist-api-test-'));
  app = await buildApp({
    uploads: new KyselyUploadRepository(db),
    queue,
    storage: await new LocalTempStorage({ directory: tmpDir }).init(),
    checks: { postgres: () => pingDatabase(db), redis: () => pingRedis(redis) },
    logger: createLogger({ name: 'api-test', level: 'silent', format: 'json' }),
    providers: singleProviderCatalog('cloudinary', CLOUDINARY_LIMITS),
    maxUploadBytes: MAX_BYTES,
    allowedContentTypes: ['image/png', 'image/jpeg', 'image/svg+xml', 'application/pdf'],
    auth: { mode: 'off', apiKeys: new KyselyApiKeyRepository(db) },
  });
  cleanups.push(async () => {
    await app.close();
    await queue.close();
    redis.disconnect();
    await clear();
    await rm(tmpDir, { recursive: true, force: true });
  });
});
afterAll(async () => {
  for (const cleanup of cleanups) await cleanup();
});

async function tempFiles(): Promise<string[]> {
  const entries = await readdir(tmpDir, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

async function post(parts: Parameters<typeof multipartBody>[0]) {
  const { payload, headers } = await multipartBody(parts);
  return app.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
}

describe('POST /v1/uploads', () => {
  it('accepts a file at once with 202, a Location, one row and one job', async () => {
    const png = makePng(4, 3);
    const response = await post([
      { name: 'publicId', value: 'cats/felix' },
      { name: 'tags', value: 'cat, pet ,cat' },
      { name: 'file', file: png, filename: 'felix.png', type: 'text/plain' },
    ]);
    expect(response.statusCode).toBe(202);
    const body = response.json<{ id: string; status: string; statusUrl: string }>();
    expect(body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), status: 'queued', statusUrl: `/v1/uploads/${body.id}` });
    expect(response.headers.location).toBe(body.statusUrl);

    const job = await queue.queue.getJob(body.id);
    expect(job?.data).toEqual({ uploadId: body.id, tenantId: 'default' });
    expect(job?.opts.attempts).toBe(4);

    const row = await db.selectFrom('upload').selectAll().where('id', '=', body.id).executeTakeFirstOrThrow();
    // The client said text/plain; the bytes say PNG, and the bytes win.
    expect(row).toMatchObject({ contentType: 'image/png', publicId: 'default/cats/felix', tags: ['cat', 'pet'], filename: 'felix.png' });
    expect(await tempFiles()).toContain(row.storageKey);
  });

  it('reports the upload with JSON numbers, ISO timestamps and nulls', async () => {
    const png = makePng(2, 2);
    const accepted = await post([{ name: 'file', file: png, filename: 'x.png' }]);
    const { statusUrl } = accepted.json<{ statusUrl: string }>();
    const response = await app.inject({ method: 'GET', url: statusUrl });
    expect(response.statusCode).toBe(200);
    const view = response.json<Record<string, unknown>>();
    expect(view).toMatchObject({ status: 'queued', attempts: 0, bytes: png.length, contentType: 'image/png', completedAt: null, result: null, error: null });
    expect(view.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(new Date(view.createdAt as string).toISOString()).toBe(view.createdAt);
  });

  it('stores metadata, resource type and eager presets for the worker', async () => {
    const response = await post([
      { name: 'metadata', value: '{"sku":"A-1","stock":3,"featured":true}' },
      { name: 'resourceType', value: 'image' },
      { name: 'eager', value: 'thumbnail, preview' },
      { name: 'file', file: makePng(2, 2, 3), filename: 'm.png' },
    ]);
    expect(response.statusCode).toBe(202);
    const upload = await new KyselyUploadRepository(db).find(response.json<{ id: string }>().id);
    expect(upload).toMatchObject({ metadata: { sku: 'A-1', stock: 3, featured: true }, resourceType: 'image', eager: ['thumbnail', 'preview'] });
  });

  it('accepts SVG, which has no magic bytes, by its root element', async () => {
    const svg = Buffer.from('<?xml version="1.0"?>\n<!-- logo --><svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>');
    const response = await post([{ name: 'file', file: svg, filename: 'logo.svg' }]);
    expect(response.statusCode).toBe(202);
  });

  it('strips paths and control characters from the filename', async () => {
    const response = await post([{ name: 'file', file: makePng(1, 1), filename: '../../etc/\u0007evil.png' }]);
    const { statusUrl } = response.json<{ statusUrl: string }>();
    const view = (await app.inject({ method: 'GET', url: statusUrl })).json<{ filename: string }>();
    expect(view.filename).toBe('evil.png');
  });
});

describe('several files in "files"', () => {
  it('answers 202 with an entry per file: accepted uploads and per-file problems, in order', async () => {
    const before = await tempFiles();
    const response = await post([
      { name: 'tags', value: 'batch' },
      { name: 'files', file: makePng(3, 3, 11), filename: 'one.png' },
      { name: 'files', file: Buffer.from('not an image at all '.repeat(300)), filename: 'two.png' },
      { name: 'files', file: Buffer.concat([makePng(2, 2), Buffer.alloc(MAX_BYTES)]), filename: 'three.png' },
      { name: 'files', file: makePng(4, 4, 12), filename: 'four.png' },
    ]);
    expect(response.statusCode).toBe(202);
    const { uploads } = response.json<{ uploads: Array<{ id?: string; filename?: string; error?: { status: number; type: string } }> }>();
    expect(uploads).toHaveLength(4);
    expect(uploads[0]).toMatchObject({ id: expect.any(String), status: 'queued' });
    expect(uploads[1]).toMatchObject({ filename: 'two.png', error: { status: 415, type: 'urn:hoist:problem:unsupported-file-type' } });
    expect(uploads[2]).toMatchObject({ filename: 'three.png', error: { status: 413, type: 'urn:hoist:problem:file-too-large' } });
    expect(uploads[3]).toMatchObject({ id: expect.any(String), status: 'queued' });
    for (const entry of [uploads[0], uploads[3]]) {
      const row = await db.selectFrom('upload').select(['tags', 'filename']).where('id', '=', entry!.id!).executeTakeFirstOrThrow();
      expect(row.tags).toEqual(['batch']);
    }
    // Only the two accepted files are kept.
    expect((await tempFiles()).length - before.length).toBe(2);
  });

  it.each([
    ['"file" and "files" together', [{ name: 'file', file: makePng(1, 1), filename: 'a.png' }, { name: 'files', file: makePng(1, 1), filename: 'b.png' }]],
    ['a publicId for several files', [{ name: 'publicId', value: 'one-id' }, { name: 'files', file: makePng(1, 1), filename: 'a.png' }]],
  ])('refuses %s with 400 and keeps nothing', async (_name, parts) => {
    const before = await tempFiles();
    const response = await post(parts);
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await tempFiles()).toEqual(before);
  });
});

describe('provider', () => {
  it('records where an upload goes, shows it, and refuses a provider this deployment does not have with 422', async () => {
    const png = makePng(3, 3, 7);
    const accepted = await post([{ name: 'provider', value: 'cloudinary' }, { name: 'file', file: png, filename: 'p.png' }]);
    expect(accepted.statusCode).toBe(202);
    const view = await app.inject({ method: 'GET', url: accepted.json<{ statusUrl: string }>().statusUrl });
    expect(view.json()).toMatchObject({ provider: 'cloudinary', status: 'queued' });
    const files = await tempFiles();
    const refused = await post([{ name: 'provider', value: 'cloudflare' }, { name: 'file', file: png, filename: 'p.png' }]);
    expect(refused.statusCode).toBe(422);
    expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(refused.json()).toMatchObject({ type: 'urn:hoist:problem:provider-not-configured', provider: 'cloudflare', configured: ['cloudinary'] });
    // Nothing of the refused file stays behind.
    expect(await tempFiles()).toEqual(files);
    const malformed = await post([{ name: 'provider', value: 'Cloud Inary' }, { name: 'file', file: png, filename: 'p.png' }]);
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({ type: 'urn:hoist:problem:invalid-field', field: 'provider' });
  });
});

describe('dedupe=true', () => {
  it('returns the succeeded upload of the same bytes instead of uploading again, and keeps nothing new', async () => {
    const png = makePng(5, 5, 42);
    const first = (await post([{ name: 'file', file: png, filename: 'd.png' }])).json<{ id: string }>();
    await db
      .updateTable('upload')
      .set({ status: 'succeeded', completedAt: new Date(), result: JSON.stringify({ provider: 'cloudinary', publicId: first.id, url: 'u', secureUrl: 'u', format: 'png', width: 5, height: 5, bytes: png.length, version: 1 }) })
      .where('id', '=', first.id)
      .execute();
    const files = await tempFiles();
    const again = await post([{ name: 'dedupe', value: 'true' }, { name: 'file', file: png, filename: 'other-name.png' }]);
    expect(again.statusCode).toBe(200);
    expect(again.headers['hoist-deduplicated']).toBe('true');
    expect(again.json()).toMatchObject({ id: first.id, status: 'succeeded' });
    expect(await tempFiles()).toEqual(files);
    // Without dedupe, or with other bytes, it is a new upload.
    expect((await post([{ name: 'file', file: png, filename: 'd.png' }])).statusCode).toBe(202);
    expect((await post([{ name: 'dedupe', value: 'true' }, { name: 'file', file: makePng(5, 5, 43), filename: 'd.png' }])).statusCode).toBe(202);
    expect((await post([{ name: 'dedupe', value: 'yes' }, { name: 'file', file: png, filename: 'd.png' }])).statusCode).toBe(400);
  });
});

describe('POST /v1/uploads/:id/cancel', () => {
  async function accepted() {
    const response = await post([{ name: 'file', file: makePng(2, 2, 5), filename: 'c.png' }]);
    return response.json<{ id: string; statusUrl: string }>();
  }
  const cancel = (id: string) => app.inject({ method: 'POST', url: `/v1/uploads/${id}/cancel` });

  it('cancels a queued upload: status cancelled, job removed, bytes deleted; repeating is harmless', async () => {
    const { id } = await accepted();
    const row = await db.selectFrom('upload').select('storageKey').where('id', '=', id).executeTakeFirstOrThrow();
    const response = await cancel(id);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ id, status: 'cancelled', error: null, completedAt: expect.any(String) });
    expect(await queue.queue.getJob(id)).toBeUndefined();
    expect(await tempFiles()).not.toContain(row.storageKey);
    const again = await cancel(id);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'cancelled' });
  });

  it('refuses to cancel an upload that already finished (409), and 404s an unknown one', async () => {
    const { id } = await accepted();
    await db.updateTable('upload').set({ status: 'failed', errorCode: 'x', errorMessage: 'y', completedAt: new Date() }).where('id', '=', id).execute();
    const finished = await cancel(id);
    expect(finished.statusCode).toBe(409);
    expect(finished.json()).toMatchObject({ type: 'urn:hoist:problem:upload-not-cancellable' });
    expect((await cancel('01a20950-28a9-7446-ba07-93eb86af538c')).statusCode).toBe(404);
    expect((await cancel('nope')).statusCode).toBe(404);
  });
});

describe('Idempotency-Key', () => {
  async function postWith(key: string, parts: Parameters<typeof multipartBody>[0]) {
    const { payload, headers } = await multipartBody(parts);
    return app.inject({ method: 'POST', url: '/v1/uploads', payload, headers: { ...headers, 'idempotency-key': key } });
  }
  const count = async (key: string) =>
    Number((await db.selectFrom('idempotencyKey').select((eb) => eb.fn.countAll().as('n')).where('key', '=', key).executeTakeFirstOrThrow()).n);

  it('answers a repeated request with the original upload and writes nothing new', async () => {
    const parts = [{ name: 'tags', value: 'a' }, { name: 'file', file: makePng(3, 3, 7), filename: 'same.png' }];
    const first = await postWith('key-repeat-1', parts);
    expect(first.statusCode).toBe(202);
    const files = await tempFiles();
    const second = await postWith('key-repeat-1', parts);
    expect(second.statusCode).toBe(200);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.json()).toEqual(first.json());
    expect(second.headers.location).toBe(first.headers.location);
    expect(await tempFiles()).toEqual(files);
    expect(await count('key-repeat-1')).toBe(1);
  });

  it('refuses the same key with a different request (422) and keeps nothing of it', async () => {
    const first = await postWith('key-different-1', [{ name: 'file', file: makePng(3, 3, 1), filename: 'one.png' }]);
    expect(first.statusCode).toBe(202);
    const files = await tempFiles();
    const rows = await db.selectFrom('upload').select('id').execute();
    const second = await postWith('key-different-1', [{ name: 'file', file: makePng(3, 3, 2), filename: 'one.png' }]);
    expect(second.statusCode).toBe(422);
    expect(second.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(second.json()).toMatchObject({ type: 'urn:hoist:problem:idempotency-key-reused' });
    expect(await tempFiles()).toEqual(files);
    expect(await db.selectFrom('upload').select('id').execute()).toHaveLength(rows.length);
  });

  it('makes one upload from concurrent requests with one key', async () => {
    const parts = [{ name: 'file', file: makePng(4, 4, 9), filename: 'race.png' }];
    const responses = await Promise.all(Array.from({ length: 5 }, () => postWith('key-race-1', parts)));
    const ids = new Set(responses.map((r) => r.json<{ id: string }>().id));
    expect(ids.size).toBe(1);
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 202]);
    expect(await count('key-race-1')).toBe(1);
  });

  it.each([['too long', 'k'.repeat(256)], ['a space', 'has space']])('refuses a key with %s (400)', async (_name, key) => {
    const response = await postWith(key, [{ name: 'file', file: makePng(1, 1), filename: 'a.png' }]);
    expect(response.statusCode).toBe(400);
    expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:invalid-header' });
  });
});

describe('bad input gets problem+json and leaves no temp file', () => {
  const png = makePng(2, 2);
  const cases: Array<{ name: string; request: () => Promise<{ statusCode: number; headers: Record<string, unknown>; json: () => unknown }>; status: number; type: string }> = [
    { name: 'no file', request: () => post([{ name: 'tags', value: 'a' }]), status: 400, type: 'missing-file' },
    { name: 'empty file', request: () => post([{ name: 'file', file: new Uint8Array(0), filename: 'e.png' }]), status: 400, type: 'empty-file' },
    {
      name: 'file over the limit',
      request: () => post([{ name: 'file', file: Buffer.concat([png, Buffer.alloc(MAX_BYTES)]), filename: 'big.png' }]),
      status: 413,
      type: 'file-too-large',
    },
    { name: 'unsupported type', request: () => post([{ name: 'file', file: Buffer.from('#!/bin/sh\necho hi\n'), filename: 'x.png' }]), status: 415, type: 'unsupported-file-type' },
    {
      name: 'allowed by sniffing but not configured (gif)',
      request: () => post([{ name: 'file', file: Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), filename: 'x.gif' }]),
      status: 415,
      type: 'unsupported-file-type',
    },
    {
      name: 'not multipart',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', headers: { 'content-type': 'text/plain' }, payload: 'file=x' }),
      status: 415,
      type: 'unsupported-media-type',
    },
    {
      name: 'malformed percent-encoding in the path',
      request: () => app.inject({ method: 'GET', url: '/v1/uploads/%E0%A4%A' }),
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'JSON without a url',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: { file: 'x' } }),
      status: 400,
      type: 'invalid-request',
    },
    {
      name: 'JSON url to a loopback address',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: { url: 'http://127.0.0.1:6379/' } }),
      status: 422,
      type: 'url-not-allowed',
    },
    {
      name: 'JSON url with another scheme',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: { url: 'file:///etc/passwd' } }),
      status: 422,
      type: 'url-not-allowed',
    },
    {
      name: 'JSON url that is not a URL',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: { url: 'not a url' } }),
      status: 400,
      type: 'invalid-field',
    },
    {
      name: 'JSON url with a bad option',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: { url: 'https://example.com/a.png', folder: '../x' } }),
      status: 400,
      type: 'invalid-field',
    },
    {
      name: 'unknown content type',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: 'x', headers: { 'content-type': 'text/plain' } }),
      status: 415,
      type: 'unsupported-media-type',
    },
    {
      name: 'two files',
      request: () => post([{ name: 'file', file: png, filename: 'a.png' }, { name: 'file', file: png, filename: 'b.png' }]),
      status: 400,
      type: 'too-many-files',
    },
    { name: 'file in another field', request: () => post([{ name: 'image', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'unknown field', request: () => post([{ name: 'file', file: png, filename: 'a.png' }, { name: 'colour', value: 'red' }]), status: 400, type: 'invalid-field' },
    { name: 'metadata that is not JSON', request: () => post([{ name: 'metadata', value: '{oops' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'metadata that is an array', request: () => post([{ name: 'metadata', value: '[1,2]' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'metadata with a nested object', request: () => post([{ name: 'metadata', value: '{"a":{"b":1}}' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    {
      name: 'metadata over 1024 bytes',
      request: () => post([{ name: 'metadata', value: JSON.stringify({ note: 'é'.repeat(520) }) }, { name: 'file', file: png, filename: 'a.png' }]),
      status: 400,
      type: 'invalid-field',
    },
    { name: 'an unknown resourceType', request: () => post([{ name: 'resourceType', value: 'audio' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'an unknown eager preset', request: () => post([{ name: 'eager', value: 'thumbnail,w_9999' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'path traversal in publicId', request: () => post([{ name: 'publicId', value: 'a/../b' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'bad characters in folder', request: () => post([{ name: 'folder', value: 'a b' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    {
      name: 'too many tags',
      request: () => post([{ name: 'tags', value: Array.from({ length: 51 }, (_, i) => `t${i}`).join(',') }, { name: 'file', file: png, filename: 'a.png' }]),
      status: 400,
      type: 'invalid-field',
    },
    {
      name: 'truncated multipart body',
      request: async () => {
        const { payload, headers } = await multipartBody([{ name: 'file', file: png, filename: 'a.png' }]);
        return app.inject({ method: 'POST', url: '/v1/uploads', payload: payload.subarray(0, payload.length - 30), headers });
      },
      status: 400,
      type: 'malformed-multipart',
    },
    {
      name: 'multipart without a boundary',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: 'x', headers: { 'content-type': 'multipart/form-data' } }),
      status: 400,
      type: 'malformed-multipart',
    },
    {
      name: 'too many fields',
      request: () => post([...Array.from({ length: 25 }, (_, i) => ({ name: `f${i}`, value: 'x' })), { name: 'file', file: png, filename: 'a.png' }]),
      status: 413,
      type: 'payload-too-large',
    },
    {
      name: 'a field name over 100 characters',
      request: () => post([{ name: 'x'.repeat(300), value: 'v' }, { name: 'file', file: png, filename: 'a.png' }]),
      status: 400,
      type: 'invalid-field',
    },
    { name: 'a tag with a control character', request: () => post([{ name: 'tags', value: 'ok,bad\u0007tag' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'a tag over 100 characters', request: () => post([{ name: 'tags', value: 't'.repeat(101) }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'a publicId over 255 characters', request: () => post([{ name: 'publicId', value: 'p'.repeat(256) }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'a publicId with an empty segment', request: () => post([{ name: 'publicId', value: 'a//b' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'a unicode publicId', request: () => post([{ name: 'publicId', value: 'café' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    { name: 'a repeated field', request: () => post([{ name: 'tags', value: 'a' }, { name: 'tags', value: 'b' }, { name: 'file', file: png, filename: 'a.png' }]), status: 400, type: 'invalid-field' },
    {
      name: 'invalid JSON',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: '{"url":', headers: { 'content-type': 'application/json' } }),
      status: 400,
      type: 'bad-request',
    },
    {
      name: 'multipart/mixed',
      request: () => app.inject({ method: 'POST', url: '/v1/uploads', payload: 'x', headers: { 'content-type': 'multipart/mixed; boundary=b' } }),
      status: 415,
      type: 'unsupported-media-type',
    },
    {
      name: 'an executable disguised as a PNG',
      request: () => post([{ name: 'file', file: Buffer.concat([Buffer.from('MZ'), Buffer.alloc(5000)]), filename: 'photo.png', type: 'image/png' }]),
      status: 415,
      type: 'unsupported-file-type',
    },
    {
      name: 'a zip disguised as a PDF',
      request: () => post([{ name: 'file', file: Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04]), Buffer.alloc(5000)]), filename: 'doc.pdf' }]),
      status: 415,
      type: 'unsupported-file-type',
    },
    { name: 'a path-like id', request: () => app.inject({ method: 'GET', url: '/v1/uploads/..%2F..%2Fetc%2Fpasswd' }), status: 404, type: 'upload-not-found' },
    { name: 'an uppercase id', request: () => app.inject({ method: 'GET', url: '/v1/uploads/01A20950-28A9-7446-BA07-93EB86AF538C' }), status: 404, type: 'upload-not-found' },
    { name: 'a wait that is not a number', request: () => app.inject({ method: 'GET', url: '/v1/uploads/01a20950-28a9-7446-ba07-93eb86af538c?wait=soon' }), status: 400, type: 'invalid-request' },
    { name: 'cancel of a malformed id', request: () => app.inject({ method: 'POST', url: '/v1/uploads/x/cancel' }), status: 404, type: 'upload-not-found' },
    { name: 'malformed id', request: () => app.inject({ method: 'GET', url: '/v1/uploads/not-an-id' }), status: 404, type: 'upload-not-found' },
    {
      name: 'unknown id',
      request: () => app.inject({ method: 'GET', url: '/v1/uploads/01a20950-28a9-7446-ba07-93eb86af538c' }),
      status: 404,
      type: 'upload-not-found',
    },
    { name: 'unknown route', request: () => app.inject({ method: 'GET', url: '/v2/nothing' }), status: 404, type: 'not-found' },
    { name: 'wrong method', request: () => app.inject({ method: 'DELETE', url: '/v1/uploads' }), status: 404, type: 'not-found' },
  ];

  it.each(cases)('$name → $status', async ({ request, status, type }) => {
    const before = await tempFiles();
    const response = await request();
    expect(response.statusCode).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: `urn:hoist:problem:${type}`, status, title: expect.any(String) });
    expect(await tempFiles()).toEqual(before);
  });
});

describe('health', () => {
  it('is alive and ready when Postgres and Redis answer', async () => {
    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.json()).toEqual({ status: 'ok', checks: { postgres: 'ok', redis: 'ok' } });
  });

  it('stays ready but degraded when only Redis is unreachable, and not ready without Postgres', async () => {
    const dead = createRedis('redis://127.0.0.1:1', 'producer', { retryStrategy: () => null });
    const deadDb = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/nothing' });
    const probe = async (checks: Record<string, () => Promise<void>>) => {
      const instance = await buildApp({
        uploads: new KyselyUploadRepository(db),
        queue,
        storage: new LocalTempStorage({ directory: tmpDir }),
        checks,
        logger: createLogger({ name: 'api-test', level: 'silent', format: 'json' }),
        providers: singleProviderCatalog('cloudinary', CLOUDINARY_LIMITS),
        maxUploadBytes: MAX_BYTES,
        allowedContentTypes: ['image/png'],
        auth: { mode: 'off', apiKeys: new KyselyApiKeyRepository(db) },
      });
      const response = await instance.inject({ method: 'GET', url: '/readyz' });
      await instance.close();
      return response;
    };
    const withoutRedis = await probe({ postgres: () => pingDatabase(db), redis: () => pingRedis(dead) });
    const withoutPostgres = await probe({ postgres: () => pingDatabase(deadDb), redis: () => pingRedis(redis) });
    dead.disconnect();
    await deadDb.destroy();
    expect(withoutRedis.statusCode).toBe(200);
    expect(withoutRedis.json()).toEqual({ status: 'degraded', checks: { postgres: 'ok', redis: 'down' } });
    expect(withoutPostgres.statusCode).toBe(503);
    expect(withoutPostgres.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(withoutPostgres.json()).toMatchObject({ checks: { postgres: 'down', redis: 'ok' }, detail: 'Unavailable: postgres' });
  });

  it('keeps accepting uploads while the queue is down: 202 at once, kept in the outbox', async () => {
    // ioredis keeps retrying an unreachable server and BullMQ would wait for it forever.
    const dead = createRedis('redis://127.0.0.1:1', 'producer');
    const deadQueue = new BullJobQueue({ connection: dead, prefix: 'unused', attempts: 1, enqueueTimeoutMs: 500 });
    const probe = await buildApp({
      uploads: new KyselyUploadRepository(db),
      queue: deadQueue,
      storage: new LocalTempStorage({ directory: tmpDir }),
      checks: {},
      logger: createLogger({ name: 'api-test', level: 'silent', format: 'json' }),
      providers: singleProviderCatalog('cloudinary', CLOUDINARY_LIMITS),
      maxUploadBytes: MAX_BYTES,
      allowedContentTypes: ['image/png'],
      auth: { mode: 'off', apiKeys: new KyselyApiKeyRepository(db) },
    });
    const { payload, headers } = await multipartBody([{ name: 'file', file: makePng(1, 1), filename: 'a.png' }]);
    const startedAt = Date.now();
    const response = await probe.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
    const tookMs = Date.now() - startedAt;
    await probe.close();
    dead.disconnect();
    expect(response.statusCode).toBe(202);
    expect(tookMs).toBeLessThan(3_000);
    const { id } = response.json<{ id: string }>();
    const row = await new KyselyUploadRepository(db).find(id);
    expect(row).toMatchObject({ status: 'queued', enqueuedAt: null });
    expect(await tempFiles()).toContain(row!.storageKey);
  });

  it('answers 503 problem+json and keeps no temp file when Postgres is down', async () => {
    const deadDb = createDatabase({ url: 'postgres://postgres@127.0.0.1:1/nothing' });
    const probe = await buildApp({
      uploads: new KyselyUploadRepository(deadDb),
      queue,
      storage: new LocalTempStorage({ directory: tmpDir }),
      checks: {},
      logger: createLogger({ name: 'api-test', level: 'silent', format: 'json' }),
      providers: singleProviderCatalog('cloudinary', CLOUDINARY_LIMITS),
      maxUploadBytes: MAX_BYTES,
      allowedContentTypes: ['image/png'],
      auth: { mode: 'off', apiKeys: new KyselyApiKeyRepository(db) },
    });
    const before = await tempFiles();
    const { payload, headers } = await multipartBody([{ name: 'file', file: makePng(1, 1), filename: 'a.png' }]);
    const response = await probe.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
    await probe.close();
    await deadDb.destroy();
    expect(response.statusCode).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(await tempFiles()).toEqual(before);
  });
});
