import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { HoistApiError, HoistClient, HoistTimeoutError, HoistUsageError, type Progress, type Upload } from '@hoist/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLIENT_TYPES_PATH, renderClientTypes } from '../support/client-types.js';
import { fixturePath, largePng, makePng } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

// The client SDK (@hoist/client, its Node build) against the real processes: every call a user
// makes, checked by what they would see — the upload's status, its bytes at the provider, errors.

const MB = 1024 * 1024;
const sha256 = (bytes: Buffer | Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function delivered(upload: Upload): Promise<Buffer> {
  expect(upload.status, JSON.stringify(upload.error)).toBe('succeeded');
  const response = await fetch(upload.result!.secureUrl);
  expect(response.status).toBe(200);
  return Buffer.from(await response.arrayBuffer());
}

describe('@hoist/client (Node) against a running stack', () => {
  let stack: Stack;
  let hoist: HoistClient;
  let dir: string;
  let origin: Server;
  let originPort: number;
  const photo = makePng(24, 16, 7);

  beforeAll(async () => {
    origin = createServer((request, response) => {
      if (request.url === '/photo.png') return void response.writeHead(200, { 'content-type': 'image/png' }).end(photo);
      response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    originPort = (origin.address() as AddressInfo).port;
    dir = await mkdtemp(join(tmpdir(), 'hoist-client-e2e-'));
    stack = await Stack.start({ workerEnv: { URL_FETCH_ALLOW: `127.0.0.1:${originPort}`, TUS_EXPIRATION_MS: String(10 * 60_000) } });
    hoist = new HoistClient({ baseUrl: stack.apiUrl, retryDelayMs: 100, resumeFile: join(dir, 'resume.json') });
  }, 90_000);

  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => origin?.close(resolve));
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('has types generated from the OpenAPI document the running API serves', async () => {
    const document = (await (await fetch(`${stack.apiUrl}/openapi.json`)).json()) as Record<string, unknown>;
    const checkedIn = await readFile(CLIENT_TYPES_PATH, 'utf8');
    expect(await renderClientTypes(document), 'packages/client/src/openapi-types.ts is out of date: run `pnpm client:types`').toBe(checkedIn);
  });

  it('uploads a file by path, reports progress, and waits for it to land', async () => {
    const path = fixturePath('photo.jpg');
    const progress: Progress[] = [];
    const accepted = await hoist.upload(path, { folder: 'sdk', tags: ['sdk', 'node'], metadata: { sku: 'a-1' }, onProgress: (p) => progress.push(p) });
    expect(accepted).toMatchObject({ status: 'queued', transport: 'multipart', replayed: false, resumed: false, statusUrl: `/v1/uploads/${accepted.id}` });
    const bytes = await readFile(path);
    expect(progress.at(-1)).toEqual({ sent: bytes.length, total: bytes.length });
    const updates: string[] = [];
    const upload = await hoist.waitFor(accepted.id, { timeout: 30_000, onUpdate: (u) => updates.push(u.status) });
    expect(upload.filename).toBe('photo.jpg');
    expect(upload.result?.publicId).toBe(`default/sdk/${accepted.id}`);
    expect(sha256(await delivered(upload))).toBe(sha256(bytes));
    expect(updates.at(-1)).toBe('succeeded');
    // Found again by a tag filter, through the typed list.
    const { uploads } = await hoist.list({ tag: 'node', limit: 10 });
    expect(uploads.map((u) => u.id)).toContain(accepted.id);
  });

  it('uploads bytes and Blobs, and a repeated Idempotency-Key answers the first upload', async () => {
    const key = `sdk-${Date.now()}`;
    const first = await hoist.upload(new Blob([photo]), { filename: 'blob.png', publicId: `blob-${key}`, idempotencyKey: key });
    const again = await hoist.upload(photo, { filename: 'blob.png', publicId: `blob-${key}`, idempotencyKey: key });
    expect(again).toMatchObject({ id: first.id, replayed: true });
    expect(first.replayed).toBe(false);
    const upload = await hoist.waitFor(first.id, { timeout: 30_000 });
    expect(upload.result?.publicId).toBe(`default/blob-${key}`);
    expect(sha256(await delivered(upload))).toBe(sha256(photo));
  });

  it('has the API fetch a URL', async () => {
    const accepted = await hoist.upload(`http://127.0.0.1:${originPort}/photo.png`, { tags: ['from-url'] });
    expect(accepted.transport).toBe('url');
    const upload = await hoist.waitFor(accepted.id, { timeout: 30_000 });
    expect(upload.sourceUrl).toBe(`http://127.0.0.1:${originPort}/photo.png`);
    expect(sha256(await delivered(upload))).toBe(sha256(photo));
  });

  it('sends large files through tus, and a stream of unknown length too', async () => {
    const big = largePng(20 * MB);
    const path = join(dir, 'big.png');
    await writeFile(path, big);
    const progress: Progress[] = [];
    const accepted = await hoist.upload(path, { onProgress: (p) => progress.push(p) });
    expect(accepted).toMatchObject({ transport: 'tus', status: 'queued', resumed: false });
    expect(progress.length).toBeGreaterThan(2);
    expect(progress.at(-1)).toEqual({ sent: big.length, total: big.length });
    expect(sha256(await delivered(await hoist.waitFor(accepted.id, { timeout: 60_000 })))).toBe(sha256(big));

    const streamed = await hoist.upload(Readable.from([photo.subarray(0, 100), photo.subarray(100)]), { filename: 'streamed.png' });
    expect(streamed.transport).toBe('tus');
    const upload = await hoist.waitFor(streamed.id, { timeout: 30_000 });
    expect(upload.filename).toBe('streamed.png');
    expect(sha256(await delivered(upload))).toBe(sha256(photo));
  });

  it('resumes an interrupted tus upload where it stopped, in a new client', async () => {
    const big = largePng(24 * MB);
    const path = join(dir, 'resumable.png');
    await writeFile(path, big);
    const resumeFile = join(dir, 'resume-interrupt.json');
    const first = new HoistClient({ baseUrl: stack.apiUrl, resumeFile, tusChunkBytes: 2 * MB });
    const abort = new AbortController();
    const interrupted = first.upload(path, { signal: abort.signal, onProgress: ({ sent }) => sent >= 8 * MB && abort.abort(new Error('interrupted')) });
    await expect(interrupted).rejects.toThrow('interrupted');

    // A new process (client) uploading the same file picks it up at the server's offset.
    const second = new HoistClient({ baseUrl: stack.apiUrl, resumeFile, tusChunkBytes: 2 * MB });
    let resumedAt = -1;
    const progress: number[] = [];
    const accepted = await second.upload(path, { onResume: (offset) => (resumedAt = offset), onProgress: ({ sent }) => progress.push(sent) });
    expect(accepted.resumed).toBe(true);
    expect(resumedAt).toBeGreaterThanOrEqual(6 * MB);
    expect(Math.min(...progress)).toBeGreaterThanOrEqual(resumedAt);
    const upload = await second.waitFor(accepted.id, { timeout: 60_000 });
    expect(upload.bytes).toBe(big.length);
    expect(sha256(await delivered(upload))).toBe(sha256(big));
    // Finished uploads are forgotten: the same file again is a new upload.
    expect(JSON.parse(await readFile(resumeFile, 'utf8'))).toEqual({});
  });

  it('resumes only the same content with the same options, and replays a repeated Idempotency-Key', async () => {
    const resumeFile = join(dir, 'resume-identity.json');
    const client = new HoistClient({ baseUrl: stack.apiUrl, resumeFile, tusChunkBytes: 2 * MB });
    const path = join(dir, 'same-size.png');
    const interrupt = async (options: { publicId?: string }) => {
      const abort = new AbortController();
      await expect(client.upload(path, { ...options, signal: abort.signal, onProgress: ({ sent }) => sent >= 4 * MB && abort.abort(new Error('cut')) })).rejects.toThrow('cut');
    };
    // Interrupted, then the file is replaced by other bytes of the same size: a new upload of the new bytes.
    await writeFile(path, largePng(18 * MB));
    await interrupt({});
    const other = largePng(18 * MB);
    await writeFile(path, other);
    const replaced = await client.upload(path);
    expect(replaced.resumed).toBe(false);
    expect(sha256(await delivered(await client.waitFor(replaced.id, { timeout: 60_000 })))).toBe(sha256(other));
    // Interrupted under one public id, sent again under another: a new upload with the new options.
    await interrupt({ publicId: 'first-name' });
    const renamed = await client.upload(path, { publicId: 'second-name' });
    expect(renamed.resumed).toBe(false);
    expect((await client.waitFor(renamed.id, { timeout: 60_000 })).result?.publicId).toBe('default/second-name');

    // The same Idempotency-Key again, once the first upload is done: the first upload, not a second.
    const key = `tus-key-${Date.now()}`;
    const first = await hoist.upload(path, { idempotencyKey: key, publicId: 'keyed' });
    expect(first).toMatchObject({ transport: 'tus', replayed: false });
    await hoist.waitFor(first.id, { timeout: 60_000 });
    const again = await hoist.upload(path, { idempotencyKey: key, publicId: 'keyed' });
    expect(again).toMatchObject({ id: first.id, transport: 'tus', replayed: true, status: 'succeeded' });
  });

  it('terminates an interrupted tus upload nobody could resume', async () => {
    const client = new HoistClient({ baseUrl: stack.apiUrl, tusChunkBytes: 2 * MB });
    const abort = new AbortController();
    await expect(client.upload(largePng(18 * MB), { filename: 'bytes.png', signal: abort.signal, onProgress: ({ sent }) => sent >= 4 * MB && abort.abort(new Error('cut')) })).rejects.toThrow('cut');
    await expect.poll(async () => (await hoist.list({ limit: 1 })).uploads[0]).toMatchObject({ filename: 'bytes.png', status: 'cancelled' });

    // A file whose note could not be written (its resume file's directory is inside a regular file) is no different.
    await writeFile(join(dir, 'not-a-dir'), 'x');
    const unwritable = new HoistClient({ baseUrl: stack.apiUrl, tusChunkBytes: 2 * MB, resumeFile: join(dir, 'not-a-dir', 'resume.json') });
    const path = join(dir, 'unremembered.png');
    await writeFile(path, largePng(18 * MB));
    const cut = new AbortController();
    await expect(unwritable.upload(path, { signal: cut.signal, onProgress: ({ sent }) => sent >= 4 * MB && cut.abort(new Error('cut')) })).rejects.toThrow('cut');
    await expect.poll(async () => (await hoist.list({ limit: 1 })).uploads[0]).toMatchObject({ filename: 'unremembered.png', status: 'cancelled' });
  });

  it('follows an upload over SSE, times out a wait, and cancels', async () => {
    // A tus upload of a file, stopped half-way by a client that remembers it, stays `receiving` until cancelled.
    const path = join(dir, 'never-finished.png');
    await writeFile(path, largePng(20 * MB));
    const abort = new AbortController();
    const client = new HoistClient({ baseUrl: stack.apiUrl, tusChunkBytes: 2 * MB, resumeFile: join(dir, 'resume-sse.json') });
    const interrupted = client.upload(path, { signal: abort.signal, onProgress: ({ sent }) => sent >= 4 * MB && abort.abort(new Error('stopped')) });
    await expect(interrupted).rejects.toThrow('stopped');
    const id = (await hoist.list({ status: 'receiving', limit: 1 })).uploads[0]!.id;

    const started = Date.now();
    const timedOut = await hoist.waitFor(id, { timeout: 1_500 }).catch((error: unknown) => error);
    expect(timedOut).toBeInstanceOf(HoistTimeoutError);
    expect((timedOut as HoistTimeoutError).upload).toMatchObject({ id, status: 'receiving' });
    expect(Date.now() - started).toBeLessThan(5_000);

    const seen: string[] = [];
    const watching = (async () => {
      for await (const upload of hoist.watch(id)) seen.push(upload.status);
    })();
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    const cancelled = await hoist.cancel(id);
    expect(cancelled.status).toBe('cancelled');
    await watching;
    expect(seen).toEqual(['receiving', 'cancelled']);
  });

  it('retries a failed upload, deletes it, and turns refusals into typed errors', async () => {
    await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 4 }] });
    const accepted = await hoist.upload(makePng(8, 8, 3), { filename: 'flaky.png' });
    const failed = await hoist.waitFor(accepted.id, { timeout: 30_000 });
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'attempts_exhausted' } });
    const retried = await hoist.retry(accepted.id);
    // Back in the queue (a worker may already have taken it by the time the answer is written).
    expect(retried.retryCount).toBe(1);
    expect(['queued', 'processing']).toContain(retried.status);
    const succeeded = await hoist.waitFor(accepted.id, { timeout: 30_000 });
    await delivered(succeeded);

    const refusal = await hoist.cancel(accepted.id).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(HoistApiError);
    expect(refusal).toMatchObject({ status: 409, code: 'upload-not-cancellable', type: 'urn:hoist:problem:upload-not-cancellable' });
    expect((refusal as HoistApiError).is('upload-not-cancellable')).toBe(true);

    const deleted = await hoist.delete(accepted.id);
    expect(deleted.status).toBe('deleted');
    expect((await hoist.delete(accepted.id)).deletedAt).toBe(deleted.deletedAt);

    const unsupported = await hoist.upload(Buffer.from('just some text'), { filename: 'notes.txt' }).catch((error: unknown) => error);
    expect(unsupported).toMatchObject({ status: 415, code: 'unsupported-file-type' });
    expect((unsupported as HoistApiError).detail).toMatch(/Unsupported file type/);
    await expect(hoist.get('019ab1c2-0000-7000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
    await expect(hoist.upload(join(dir, 'no-such-file.png'))).rejects.toBeInstanceOf(HoistUsageError);
  });

  it('pages through every upload with listAll', async () => {
    const all: string[] = [];
    for await (const upload of hoist.listAll({ limit: 2 })) all.push(upload.id);
    const { uploads } = await hoist.list({ limit: 100 });
    expect(all).toEqual(uploads.map((u) => u.id));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBeGreaterThan(4);
  });
});
