import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpload, pollUntilSettled, uploadFile, type UploadView } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Uploads from a URL, retry, delete and cancel, through the HTTP API of the real processes.

/** A tiny origin server on loopback: the only one URL_FETCH_ALLOW lets the stack fetch from. */
async function startOrigin(photo: Buffer): Promise<{ server: Server; port: number; hits: string[] }> {
  const hits: string[] = [];
  const server = createServer((request, response) => {
    hits.push(request.url ?? '');
    if (request.url === '/photo.jpg') return void response.writeHead(200, { 'content-type': 'image/jpeg' }).end(photo);
    if (request.url === '/notes.txt') return void response.writeHead(200, { 'content-type': 'image/png' }).end('just text, whatever the header says');
    // A redirect to the cloud metadata address: must be refused at the hop, not followed.
    if (request.url === '/to-metadata') return void response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    response.writeHead(404).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, hits };
}

async function post(stack: Stack, path: string, body?: unknown, method = 'POST'): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${stack.apiUrl}${path}`, {
    method,
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function emulatorHas(stack: Stack, publicId: string): Promise<boolean> {
  const { assets } = (await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string }> };
  return assets.some((asset) => asset.public_id === publicId);
}

describe('upload lifecycle, end to end', () => {
  let stack: Stack;
  let origin: Awaited<ReturnType<typeof startOrigin>>;
  let photo: Buffer;
  const settle = (id: string): Promise<UploadView> =>
    pollUntilSettled(stack.apiUrl, id, 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });

  beforeAll(async () => {
    photo = await readFile(fixturePath('photo.jpg'));
    origin = await startOrigin(photo);
    stack = await Stack.start({ workerEnv: { URL_FETCH_ALLOW: `127.0.0.1:${origin.port}` } });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    await new Promise((resolve) => origin?.server.close(resolve));
  });

  it('uploads from a URL: a worker fetches it, sniffs it and sends the same bytes', async () => {
    const url = `http://127.0.0.1:${origin.port}/photo.jpg`;
    const accepted = await post(stack, '/v1/uploads', { url, tags: ['from-url'], metadata: { source: 'e2e' } });
    expect(accepted.status).toBe(202);
    const upload = await settle(accepted.json['id'] as string);
    expect(upload).toMatchObject({
      status: 'succeeded',
      filename: 'photo.jpg',
      sourceUrl: url,
      bytes: photo.length,
      contentType: 'image/jpeg',
      sha256: createHash('sha256').update(photo).digest('hex'),
    });
    const served = Buffer.from(await (await fetch(upload.result?.secureUrl ?? '')).arrayBuffer());
    expect(served.equals(photo)).toBe(true);
  });

  it('refuses at submit time a URL outside the allowlist, and never fetches it', async () => {
    const before = origin.hits.length;
    const refused = await post(stack, '/v1/uploads', { url: `http://127.0.0.1:${origin.port + 1}/photo.jpg` });
    expect(refused.status).toBe(422);
    expect(refused.json).toMatchObject({ type: 'urn:hoist:problem:url-not-allowed', reason: 'address_not_allowed' });
    expect(origin.hits.length).toBe(before);
  });

  it.each([
    ['/to-metadata', 'url_not_allowed'],
    ['/missing.jpg', 'url_fetch_failed'],
    ['/notes.txt', 'unsupported_media_type'],
  ])('ends a URL upload whose fetch of %s fails for good as failed (%s), after one attempt', async (path, code) => {
    const accepted = await post(stack, '/v1/uploads', { url: `http://127.0.0.1:${origin.port}${path}` });
    expect(accepted.status).toBe(202);
    const upload = await settle(accepted.json['id'] as string);
    expect(upload).toMatchObject({ status: 'failed', attempts: 1, error: { code } });
    // The worker deletes the bytes just after it records the outcome the test has just read.
    await waitFor(async () => ((await stack.tempFiles()).length === 0 ? true : undefined), { timeoutMs: 10_000, what: 'the temp bytes to be deleted' });
  });

  it('retries a failed upload once the provider is back', async () => {
    await stack.setFaults({ script: Array.from({ length: 4 }, () => ({ kind: 'error', status: 503 })) });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    const failed = await settle(accepted.body.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 4, error: { code: 'attempts_exhausted' } });

    const retried = await post(stack, `/v1/uploads/${failed.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.json).toMatchObject({ retryCount: 1, error: null });
    const succeeded = await settle(failed.id);
    expect(succeeded).toMatchObject({ status: 'succeeded', retryCount: 1, attempts: 1 });
    // The worker deletes the bytes just after it records the outcome the test has just read.
    await waitFor(async () => ((await stack.tempFiles()).length === 0 ? true : undefined), { timeoutMs: 10_000, what: 'the temp bytes to be deleted' });

    const again = await post(stack, `/v1/uploads/${failed.id}/retry`);
    expect(again.status).toBe(409);
    expect(again.json).toMatchObject({ type: 'urn:hoist:problem:upload-not-retryable' });
  });

  it('deletes the asset first, then marks the upload deleted; repeating it is harmless', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('document.pdf'));
    const done = await settle(accepted.body.id);
    const publicId = done.result?.publicId ?? '';
    expect(await emulatorHas(stack, publicId)).toBe(true);

    const deleted = await post(stack, `/v1/uploads/${done.id}`, undefined, 'DELETE');
    expect(deleted.status).toBe(200);
    expect(deleted.json).toMatchObject({ status: 'deleted', id: done.id });
    expect(deleted.json['deletedAt']).toEqual(expect.any(String));
    expect(await emulatorHas(stack, publicId)).toBe(false);
    expect((await fetch(done.result?.secureUrl ?? '')).status).toBe(404);

    const repeated = await post(stack, `/v1/uploads/${done.id}`, undefined, 'DELETE');
    expect(repeated.status).toBe(200);
    expect(repeated.json['deletedAt']).toBe(deleted.json['deletedAt']);
    expect((await post(stack, '/v1/uploads/not-an-id', undefined, 'DELETE')).status).toBe(404);
  });

  it('cancels a running upload: it ends cancelled and leaves no asset behind', async () => {
    // Every provider call now takes 1.5 s, long enough to cancel one in flight.
    await stack.setFaults({ latencyMs: 1_500, script: [] });
    try {
      const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'), { publicId: 'cancel-me-while-running' });
      await waitFor(async () => ((await getUpload(stack.apiUrl, accepted.body.id)).status === 'processing' ? true : undefined), { timeoutMs: 10_000 });
      const cancelled = await post(stack, `/v1/uploads/${accepted.body.id}/cancel`);
      expect(cancelled.status).toBe(200);
      expect(cancelled.json).toMatchObject({ status: 'cancelled' });

      // The worker's provider call finishes after the cancel and creates the asset; the worker must
      // then remove it (and only after that, its temp bytes).
      await stack.workers[0]?.waitForOutput(/cancelled while running; its asset was removed/);
      await waitFor(async () => ((await stack.tempFiles()).length === 0 ? true : undefined), { timeoutMs: 10_000 });
      // Public ids live under the tenant's folder (AUTH=off: the tenant `default`).
      expect(await emulatorHas(stack, 'default/cancel-me-while-running')).toBe(false);
      expect(await getUpload(stack.apiUrl, accepted.body.id)).toMatchObject({ status: 'cancelled', result: null });
      const again = await post(stack, `/v1/uploads/${accepted.body.id}/cancel`);
      expect(again).toMatchObject({ status: 200, json: { status: 'cancelled' } });
    } finally {
      await stack.setFaults({ latencyMs: 0, script: [] });
    }
  });
});
