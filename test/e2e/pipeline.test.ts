import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpload, pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

// The whole pipeline as separate processes: API → temp storage → BullMQ → worker → emulator → Postgres.

describe('upload pipeline, end to end', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it.each([
    ['logo.png', 'image/png', { format: 'png', width: 20, height: 10 }],
    ['photo.jpg', 'image/jpeg', { format: 'jpg', width: 32, height: 24 }],
    ['document.pdf', 'application/pdf', { format: 'pdf' }],
  ])('uploads %s and serves the same bytes at secureUrl', async (name, contentType, expected) => {
    const path = fixturePath(name);
    const original = await readFile(path);
    const accepted = await uploadFile(stack.apiUrl, path, { tags: 'e2e' });
    expect(accepted.status).toBe(202);

    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });
    expect(upload).toMatchObject({ status: 'succeeded', attempts: 1, contentType, bytes: original.length, error: null });
    expect(upload.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    expect(upload.result).toMatchObject({ provider: 'cloudinary', publicId: `default/${upload.id}`, bytes: original.length, ...expected });

    const served = await fetch(upload.result!.secureUrl);
    expect(served.status).toBe(200);
    expect(Buffer.from(await served.arrayBuffer()).equals(original)).toBe(true);
  });

  it('honours publicId and folder, and leaves no temp file once settled', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'), { folder: 'brand', publicId: 'logo-main' });
    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id);
    expect(upload.result?.publicId).toBe('default/brand/logo-main');
    expect(await stack.tempFiles()).toEqual([]);
  });
});

describe('provider rate limits', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start();
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('rides out a 420 storm without burning attempts', async () => {
    await stack.setFaults({ script: [{ kind: 'rate_limit', count: 6, status: 420, resetInSeconds: 1 }] });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    // While the provider throttles, the upload waits in the queue; it is never failed.
    const during = await getUpload(stack.apiUrl, accepted.body.id);
    expect(['queued', 'processing']).toContain(during.status);

    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id, 45_000);
    expect(upload).toMatchObject({ status: 'succeeded', attempts: 1 });
    const stats = (await (await stack.emulator('/__emulator/stats')).json()) as { byStatus: Record<string, number> };
    expect(stats.byStatus['420']).toBe(6);
    expect(stats.byStatus['200']).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it('retries a transient 503 and succeeds on a later attempt', async () => {
    await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 2 }] });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id);
    expect(upload).toMatchObject({ status: 'succeeded', attempts: 3 });
  });
});

describe('permanent provider errors', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({
      cloudinaryUrl: (emulatorUrl) => `cloudinary://hoist-local-key:wrong-secret@hoist-local?upload_prefix=${emulatorUrl}`,
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('fails a bad signature at once, with one attempt and the provider message', async () => {
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id);
    expect(upload.status).toBe('failed');
    expect(upload.attempts).toBe(1);
    expect(upload.error?.code).toBe('provider_rejected');
    expect(upload.error?.message).toMatch(/Invalid Signature/);
    expect(await stack.tempFiles()).toEqual([]);
  });
});
