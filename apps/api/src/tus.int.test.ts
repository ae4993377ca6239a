import { createHash } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateApiKey, TempStorageUnavailableError, type TempStorage, type Upload as HoistUpload } from '@hoist/core';
import { MemoryJobQueue, SILENT_LOGGER } from '@hoist/core/memory';
import { KyselyApiKeyRepository, KyselyUploadRepository } from '@hoist/db';
import { LocalTempStorage } from '@hoist/temp-storage';
import { Validator } from '@seriousme/openapi-schema-validator';
import { FileStore } from '@tus/file-store';
import type { FastifyInstance } from 'fastify';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { waitFor } from '../../../test/support/wait.js';
import { buildApp } from './app.js';
import { expireTusUploads } from './routes/tus.js';
import { testAppDeps } from './test-support/app-deps.js';

// Resumable uploads (tus 1.0) at /v1/tus, through tus-js-client against a listening API on real
// Postgres: what a client sees from creation to queued, and every refusal.

const MAX_BYTES = 256 * 1024;
const { db } = useTestDatabase();
let app: FastifyInstance;
let baseUrl: string;
let tusDir: string;
let tmpDir: string;
const queue = new MemoryJobQueue();
/** While true, temp storage refuses writes as an unreachable store does. */
let storageDown = false;
const keys: Record<string, string> = {};

beforeAll(async () => {
  tmpDir = await mkdtemp(join(tmpdir(), 'hoist-tus-test-'));
  tusDir = join(tmpDir, 'tus');
  const apiKeys = new KyselyApiKeyRepository(db);
  for (const tenant of ['acme', 'globex']) {
    const generated = generateApiKey();
    await apiKeys.create({ tenantId: tenant, hash: generated.hash, prefix: generated.prefix });
    keys[tenant] = generated.key;
  }
  app = await buildApp(
    testAppDeps(db, {
      queue,
      storage: flaky(await new LocalTempStorage({ directory: tmpDir }).init()),
      maxUploadBytes: MAX_BYTES,
      auth: { mode: 'on', apiKeys },
      tus: { datastore: new FileStore({ directory: tusDir, expirationPeriodInMilliseconds: 60 * 60_000 }) },
    }),
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  baseUrl = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await rm(tmpDir, { recursive: true, force: true });
});

/** `storage`, but down while `storageDown` is set. */
function flaky(storage: TempStorage): TempStorage {
  return Object.assign(Object.create(storage) as TempStorage, {
    write: (source: Parameters<TempStorage['write']>[0]) =>
      storageDown ? Promise.reject(new TempStorageUnavailableError('Temp storage failed writing s3://secret-bucket/tmp/: TimeoutError')) : storage.write(source),
  });
}

const auth = (tenant: string) => ({ authorization: `Bearer ${keys[tenant]}` });
const b64 = (text: string) => Buffer.from(text).toString('base64');

/** A tus creation without data, as a client sends it. */
function create(tenant: string, length: number, metadata: Record<string, string> = { filename: 'a.png' }, headers: Record<string, string> = {}): Promise<Response> {
  const header = Object.entries(metadata)
    .map(([key, value]) => `${key} ${b64(value)}`)
    .join(',');
  return fetch(`${baseUrl}/v1/tus`, { method: 'POST', headers: { ...auth(tenant), 'tus-resumable': '1.0.0', 'upload-length': String(length), 'upload-metadata': header, ...headers } });
}

async function view(tenant: string, id: string): Promise<HoistUpload> {
  const response = await fetch(`${baseUrl}/v1/uploads/${id}`, { headers: auth(tenant) });
  expect(response.status).toBe(200);
  return (await response.json()) as HoistUpload;
}

/** Sends `body` with tus-js-client to an upload created before, in `chunkSize` PATCHes. */
function send(tenant: string, uploadUrl: string, body: Buffer, chunkSize = 64 * 1024): Promise<void> {
  return new Promise((resolve, reject) => {
    const upload = new Upload(body, { uploadUrl, headers: auth(tenant), chunkSize, retryDelays: [], onError: reject, onSuccess: () => resolve() });
    upload.start();
  });
}

describe('tus ingest', () => {
  it('creates a receiving upload at /v1/tus/<uploadId>, and queues it with the bytes\u2019 facts after the last byte', async () => {
    const png = makePng(200, 200, 7, { noisy: true });
    const created = await create('acme', png.length, { filename: 'dir/photo.png', folder: 'album', tags: 'a,b', metadata: '{"k":1}' });
    expect(created.status).toBe(201);
    const location = created.headers.get('location') ?? '';
    const id = /^\/v1\/tus\/([0-9a-f-]{36})$/.exec(location)?.[1];
    expect(id).toBeDefined();
    expect(await view('acme', id!)).toMatchObject({ id, status: 'receiving', filename: 'photo.png' });
    expect(await db.selectFrom('upload').select(['tags', 'metadata', 'publicId']).where('id', '=', id!).executeTakeFirstOrThrow()).toEqual({ tags: ['a', 'b'], metadata: { k: 1 }, publicId: `acme/album/${id}` });

    await send('acme', `${baseUrl}${location}`, png);
    const queued = await view('acme', id!);
    expect(queued).toMatchObject({ status: 'queued', bytes: png.length, contentType: 'image/png', sha256: createHash('sha256').update(png).digest('hex') });
    expect(queue.waiting()).toContain(id);
    // The tus copy is removed once the answer is out: the bytes are in temp storage.
    await waitFor(async () => ((await readdir(tusDir)).some((name) => name.startsWith(id!)) ? undefined : true), { timeoutMs: 5_000, what: 'the tus copy removed' });
  });

  it('uploads in one go with tus-js-client from the endpoint (creation-with-upload)', async () => {
    const png = makePng(20, 20);
    const url = await new Promise<string>((resolve, reject) => {
      const upload = new Upload(png, {
        endpoint: `${baseUrl}/v1/tus`,
        headers: auth('acme'),
        metadata: { filename: 'one.png' },
        uploadDataDuringCreation: true,
        retryDelays: [],
        onError: reject,
        onSuccess: () => resolve(upload.url ?? ''),
      });
      upload.start();
    });
    const id = url.split('/').pop()!;
    expect(await view('acme', id)).toMatchObject({ status: 'queued', filename: 'one.png', bytes: png.length });
  });

  it('refuses bad metadata at creation with the same problems as multipart fields, recording nothing', async () => {
    const before = await db.selectFrom('upload').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    for (const [metadata, field] of [
      [{ filename: 'a.png', colour: 'red' }, 'colour'],
      [{ filename: 'a.png', publicId: '../up' }, 'publicId'],
      [{ filename: 'a.png', eager: 'nope' }, 'eager'],
      [{ filename: 'a.png', metadata: '[1]' }, 'metadata'],
      [{ filename: 'a.png', dedupe: 'maybe' }, 'dedupe'],
    ] as const) {
      const response = await create('acme', 10, metadata);
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await response.json()).toMatchObject({ type: 'urn:hoist:problem:invalid-field', field });
    }
    const after = await db.selectFrom('upload').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });

  it('does not keep a recorded upload whose creation tus refused', async () => {
    // creation-with-upload with a body larger than Upload-Length: only tus can tell.
    const response = await fetch(`${baseUrl}/v1/tus`, {
      method: 'POST',
      headers: { ...auth('acme'), 'tus-resumable': '1.0.0', 'upload-length': '4', 'upload-metadata': `filename ${b64('a.png')}`, 'content-type': 'application/offset+octet-stream' },
      body: Buffer.alloc(64),
    });
    expect(response.status).toBeGreaterThanOrEqual(400);
    // Recorded as failed once tus's answer is out (a moment after the client reads it).
    const row = await waitFor(async () => {
      const newest = await db.selectFrom('upload').select(['status', 'errorCode']).where('tenantId', '=', 'acme').orderBy('id', 'desc').limit(1).executeTakeFirstOrThrow();
      return newest.status === 'receiving' ? undefined : newest;
    }, { timeoutMs: 5_000, what: 'the refused creation to be failed' });
    expect(row).toEqual({ status: 'failed', errorCode: 'creation_failed' });
    const unversioned = await fetch(`${baseUrl}/v1/tus`, { method: 'POST', headers: { ...auth('acme'), 'upload-length': '4' } });
    expect(unversioned.status).toBe(412);
  });

  it('answers a repeated creation under its Idempotency-Key with the original upload and its offset; another request under the key is 422', async () => {
    const key = { 'idempotency-key': `tus-${Date.now()}` };
    const first = await create('acme', 100, { filename: 'a.png', tags: 'x' }, key);
    expect(first.status).toBe(201);
    const location = first.headers.get('location')!;
    await fetch(`${baseUrl}${location}`, {
      method: 'PATCH',
      headers: { ...auth('acme'), 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: Buffer.alloc(40),
    });
    const again = await create('acme', 100, { tags: 'x', filename: 'a.png' }, key);
    expect(again.status).toBe(201);
    expect(again.headers.get('location')).toBe(location);
    expect(again.headers.get('upload-offset')).toBe('40');
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    const other = await create('acme', 101, { filename: 'a.png', tags: 'x' }, key);
    expect(other.status).toBe(422);
    expect(await other.json()).toMatchObject({ type: 'urn:hoist:problem:idempotency-key-reused' });
  });

  it('refuses an Upload-Length over MAX_UPLOAD_BYTES with 413 file-too-large', async () => {
    const response = await create('acme', MAX_BYTES + 1);
    expect(response.status).toBe(413);
    expect(await response.json()).toMatchObject({ type: 'urn:hoist:problem:file-too-large' });
  });

  it("answers another tenant's HEAD, PATCH and DELETE with 404, as a missing upload", async () => {
    const location = (await create('acme', 100)).headers.get('location')!;
    for (const method of ['HEAD', 'PATCH', 'DELETE']) {
      const response = await fetch(`${baseUrl}${location}`, {
        method,
        headers: { ...auth('globex'), 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        ...(method === 'PATCH' ? { body: Buffer.alloc(10) } : {}),
      });
      expect(response.status, method).toBe(404);
    }
    const head = await fetch(`${baseUrl}${location}`, { method: 'HEAD', headers: { ...auth('acme'), 'tus-resumable': '1.0.0' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe('0');
  });

  it("cannot reach another tenant's upload through its own upload's URL with the other id in the query string", async () => {
    const victim = (await create('acme', 100)).headers.get('location')!;
    const victimId = victim.split('/').pop()!;
    const own = (await create('globex', 100)).headers.get('location')!;
    const sneaky = `${baseUrl}${own}?x=/${victimId}`;
    const head = await fetch(sneaky, { method: 'HEAD', headers: { ...auth('globex'), 'tus-resumable': '1.0.0' } });
    // The answer is about globex's own upload, never acme's.
    expect(head.headers.get('upload-metadata') ?? '').not.toContain(Buffer.from('acme').toString('base64'));
    const patch = await fetch(sneaky, {
      method: 'PATCH',
      headers: { ...auth('globex'), 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: Buffer.alloc(10),
    });
    expect(patch.status).toBe(204);
    await fetch(sneaky, { method: 'DELETE', headers: { ...auth('globex'), 'tus-resumable': '1.0.0' } });
    // acme's upload is untouched: still receiving, nothing written, still resumable.
    const mine = await fetch(`${baseUrl}${victim}`, { method: 'HEAD', headers: { ...auth('acme'), 'tus-resumable': '1.0.0' } });
    expect(mine.status).toBe(200);
    expect(mine.headers.get('upload-offset')).toBe('0');
    expect(await view('acme', victimId)).toMatchObject({ status: 'receiving' });
    expect(await view('globex', own.split('/').pop()!)).toMatchObject({ status: 'cancelled' });
  });

  it('ends an upload whose bytes are refused failed, with the reason, and takes no more bytes for it', async () => {
    const text = Buffer.from('just some text, not an image at all');
    const location = (await create('acme', text.length, { filename: 'notes.png' })).headers.get('location')!;
    await send('acme', `${baseUrl}${location}`, text);
    const id = location.split('/').pop()!;
    expect(await view('acme', id)).toMatchObject({ status: 'failed', error: { code: 'bytes_refused', message: expect.stringMatching(/type/i) as unknown }, bytes: null });
    const head = await fetch(`${baseUrl}${location}`, { method: 'HEAD', headers: { ...auth('acme'), 'tus-resumable': '1.0.0' } });
    expect(head.status).toBe(410);
  });

  it('answers 503 without internals when temp storage is down at the last byte, and finishes the upload when the client resumes', async () => {
    const png = makePng(64, 64, 7);
    const location = (await create('acme', png.length)).headers.get('location')!;
    const id = location.split('/').pop()!;
    storageDown = true;
    let last: Response;
    try {
      last = await fetch(`${baseUrl}${location}`, {
        method: 'PATCH',
        headers: { ...auth('acme'), 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
        body: png,
      });
    } finally {
      storageDown = false;
    }
    expect(last.status).toBe(503);
    expect(await last.text()).not.toMatch(/secret-bucket|TimeoutError/);
    expect(await view('acme', id)).toMatchObject({ status: 'receiving' });
    // The client resumes: HEAD shows every byte in, and by then the upload is queued, not left to expire.
    const head = await fetch(`${baseUrl}${location}`, { method: 'HEAD', headers: { ...auth('acme'), 'tus-resumable': '1.0.0' } });
    expect(head.status).toBe(200);
    expect(head.headers.get('upload-offset')).toBe(String(png.length));
    expect(await view('acme', id)).toMatchObject({ status: 'queued', bytes: png.length, sha256: createHash('sha256').update(png).digest('hex') });
  });

  it('is in the OpenAPI document, which stays valid', async () => {
    const document = (await (await fetch(`${baseUrl}/openapi.json`)).json()) as { paths: Record<string, Record<string, unknown>> };
    expect((await new Validator().validate(document)).errors ?? []).toEqual([]);
    expect(Object.keys(document.paths['/v1/tus'] ?? {})).toEqual(['post']);
    expect(Object.keys(document.paths['/v1/tus/{id}'] ?? {}).sort()).toEqual(['delete', 'head', 'patch']);
  });

  it('expires an abandoned upload: its partial bytes are deleted and it ends failed with upload_expired', async () => {
    const location = (await create('acme', 100)).headers.get('location')!;
    const id = location.split('/').pop()!;
    const patched = await fetch(`${baseUrl}${location}`, {
      method: 'PATCH',
      headers: { ...auth('acme'), 'tus-resumable': '1.0.0', 'upload-offset': '0', 'content-type': 'application/offset+octet-stream' },
      body: Buffer.alloc(40),
    });
    expect(patched.status).toBe(204);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // A store whose uploads expire after 10 ms, over the same directory, stands for time passing.
    const expiring = new FileStore({ directory: tusDir, expirationPeriodInMilliseconds: 10 });
    const uploads = new KyselyUploadRepository(db);
    expect(await expireTusUploads({ datastore: expiring, uploads, logger: SILENT_LOGGER }, 10)).toBeGreaterThanOrEqual(1);
    expect(await view('acme', id)).toMatchObject({ status: 'failed', error: { code: 'upload_expired' } });
    expect((await readdir(tusDir)).filter((name) => name.startsWith(id))).toEqual([]);
  });

  it('terminates (DELETE) a receiving upload: cancelled', async () => {
    const location = (await create('acme', 100)).headers.get('location')!;
    const deleted = await fetch(`${baseUrl}${location}`, { method: 'DELETE', headers: { ...auth('acme'), 'tus-resumable': '1.0.0' } });
    expect(deleted.status).toBe(204);
    expect(await view('acme', location.split('/').pop()!)).toMatchObject({ status: 'cancelled' });
  });
});
