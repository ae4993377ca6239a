import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Readable } from 'node:stream';
import {
  PermanentProviderError,
  RateLimitedError,
  RetryableProviderError,
  TempObjectChangedError,
  TempObjectMissingError,
  type ProviderUploadRequest,
  type RateLimitHint,
} from '@hoist/core';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { CloudinaryProvider } from './cloudinary.provider.js';
import { startEmulator, type TestEmulator } from './test-support/emulator.js';

// The real SDK against the project's emulator: the provider's mapping of every outcome.

let emulator: TestEmulator;
let base: string;
let provider: CloudinaryProvider;

beforeAll(async () => {
  emulator = await startEmulator();
  base = emulator.url;
  provider = await CloudinaryProvider.create({
    url: `cloudinary://hoist-local-key:hoist-local-secret@hoist-local?upload_prefix=${base}`,
    timeoutMs: 1_000,
    chunkThresholdBytes: 6_000_000,
    chunkSizeBytes: 5_000_000,
  });
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  await emulator.setFaults(undefined);
});

const faults = (settings: unknown) => emulator.setFaults(settings);

function request(body: Buffer, overrides: Partial<ProviderUploadRequest> = {}): ProviderUploadRequest {
  return {
    uploadId: 'u1',
    publicId: `tests/${randomBytes(4).toString('hex')}`,
    filename: 'image.png',
    contentType: 'image/png',
    bytes: body.length,
    tags: ['t1'],
    open: (range) => Promise.resolve(Readable.from([range ? body.subarray(range.start, range.end + 1) : body])),
    ...overrides,
  };
}

async function assets(): Promise<Array<{ public_id: string; writes: number }>> {
  return ((await (await fetch(`${base}/__emulator/assets`)).json()) as { assets: Array<{ public_id: string; writes: number }> }).assets;
}

describe('CloudinaryProvider', () => {
  it('uploads to the deterministic public id and maps the response', async () => {
    const png = makePng(5, 4);
    const req = request(png);
    const result = await provider.upload(req);
    expect(result).toMatchObject({ provider: 'cloudinary', publicId: req.publicId, format: 'png', width: 5, height: 4, bytes: png.length });
    expect(typeof result.version).toBe('number');
    const served = Buffer.from(await (await fetch(result.secureUrl)).arrayBuffer());
    expect(served.equals(png)).toBe(true);
  });

  it('signs and sends metadata (as context), eager presets and the resource type', async () => {
    const req = request(makePng(3, 3), { metadata: { sku: 'A|1', n: 2 }, eager: ['thumbnail', 'preview'], resourceType: 'raw', filename: 'x.png' });
    const result = await provider.upload(req);
    expect(result.publicId).toBe(req.publicId);
    const mine = (await assets()).filter((asset) => asset.public_id === req.publicId) as Array<{ resource_type?: string }>;
    expect(mine).toEqual([expect.objectContaining({ resource_type: 'raw' })]);
  });

  it('replaces the same asset when a call is repeated, never creating a second one', async () => {
    const req = request(makePng(2, 2));
    await provider.upload(req);
    await provider.upload({ ...req, open: () => Promise.resolve(Readable.from([makePng(3, 3)])) });
    const mine = (await assets()).filter((asset) => asset.public_id === req.publicId);
    expect(mine).toEqual([expect.objectContaining({ writes: 2 })]);
  });

  it('reports 420 as rate limited with the reset time from the message', async () => {
    await faults({ script: [{ kind: 'rate_limit', resetInSeconds: 30, hint: 'message' }] });
    const error = await provider.upload(request(makePng(1, 1))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    const resetAt = (error as RateLimitedError).resetAt!.getTime();
    expect(resetAt - Date.now()).toBeGreaterThan(20_000);
    expect(resetAt - Date.now()).toBeLessThan(32_000);
  });

  it('reads the reset time from the 420 response headers, which the SDK itself drops', async () => {
    await faults({ script: [{ kind: 'rate_limit', resetInSeconds: 40, hint: 'headers' }] });
    const error = await provider.upload(request(makePng(1, 1))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as Error).message).not.toMatch(/Try again/);
    const inMs = (error as RateLimitedError).resetAt!.getTime() - Date.now();
    expect(inMs).toBeGreaterThan(30_000);
    expect(inMs).toBeLessThan(42_000);
  });

  it('reports 429 without a reset hint as rate limited with no reset time', async () => {
    await faults({ script: [{ kind: 'rate_limit', status: 429, hint: 'none' }] });
    const error = await provider.upload(request(makePng(1, 1))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect((error as RateLimitedError).resetAt).toBeUndefined();
  });

  it.each([
    ['a 503', [{ kind: 'error', status: 503 }], 503],
    ['a 500', [{ kind: 'error', status: 500 }], 500],
    ['a timeout (the SDK says 499)', [{ kind: 'timeout', hangMs: 3_000 }], 499],
    // Once is enough: the emulator resets after it has read the whole request, which it may have
    // processed, so this is no stale connection to send again at once (see below) but a retry.
    ['a connection reset after the request was received', [{ kind: 'reset' }], undefined],
  ])('reports %s as retryable', async (_name, script, status) => {
    await faults({ script });
    const error = await provider.upload(request(makePng(1, 1))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableProviderError);
    expect((error as RetryableProviderError).status).toBe(status);
  });

  it('reports a bad signature as permanent, with the provider message', async () => {
    const wrong = await CloudinaryProvider.create({ url: `cloudinary://hoist-local-key:not-the-secret@hoist-local?upload_prefix=${base}`, timeoutMs: 1_000 });
    const error = await wrong.upload(request(makePng(1, 1))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(PermanentProviderError);
    expect((error as PermanentProviderError).status).toBe(401);
    expect((error as Error).message).toMatch(/Invalid Signature/);
  });

  it('refuses a chunk threshold or chunk size above Cloudinary’s 100 MB single-request limit at start', async () => {
    const url = `cloudinary://hoist-local-key:hoist-local-secret@hoist-local?upload_prefix=${base}`;
    const limit = /Cloudinary refuses a single request over 104857600 bytes/;
    await expect(CloudinaryProvider.create({ url, timeoutMs: 1_000, chunkThresholdBytes: 104_857_601 })).rejects.toThrow(limit);
    await expect(CloudinaryProvider.create({ url, timeoutMs: 1_000, chunkSizeBytes: 104_857_601 })).rejects.toThrow(limit);
    await expect(CloudinaryProvider.create({ url, timeoutMs: 1_000, chunkThresholdBytes: 104_857_600 })).resolves.toBeInstanceOf(CloudinaryProvider);
  });

  it('sends large files in chunks and the provider stores the same bytes', async () => {
    const body = randomBytes(12_000_000);
    const result = await provider.upload(request(body, { filename: 'blob.bin', contentType: 'application/octet-stream' }));
    expect(result.bytes).toBe(body.length);
    const served = Buffer.from(await (await fetch(result.secureUrl)).arrayBuffer());
    expect(served.equals(body)).toBe(true);
    const stats = (await (await fetch(`${base}/__emulator/stats`)).json()) as { uploads: number };
    expect(stats.uploads).toBeGreaterThanOrEqual(3);
  });

  it('keeps connections alive: a run of uploads costs the provider one connection, not one each', async () => {
    await provider.upload(request(makePng(2, 2)));
    const before = emulator.connections();
    for (let i = 0; i < 5; i++) await provider.upload(request(makePng(2, 2, i)));
    expect(emulator.connections() - before).toBe(0);
  });

  it('closes the connection of a request the server answered before reading its body, instead of leaving it half-sent', async () => {
    // A server that refuses at once, without reading the body: the SDK gets its answer but neither
    // finishes nor aborts the request, so only the provider can let go of the connection.
    const open = new Set<Socket>();
    const server = createServer((_request, response) => {
      response.writeHead(420, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: 'Rate Limit Exceeded' } }));
    });
    server.on('connection', (socket: Socket) => {
      open.add(socket);
      socket.once('close', () => open.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const refusing = await CloudinaryProvider.create({
        url: `cloudinary://hoist-local-key:hoist-local-secret@hoist-local?upload_prefix=http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        timeoutMs: 60_000,
      });
      await expect(refusing.upload(request(randomBytes(4_000_000)))).rejects.toBeInstanceOf(RateLimitedError);
      await expect.poll(() => open.size, { timeout: 2_000 }).toBe(0);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('sends a request again at once when the server closed its kept-alive connection as it went out', async () => {
    await provider.upload(request(makePng(2, 2)));
    const before = emulator.connections();
    // The server drops the idle connection; the request below goes out on it before the client has
    // read the close (no I/O turn in between), and meets a reset with no answer.
    emulator.closeIdleConnections();
    const req = request(makePng(3, 3));
    const result = await provider.upload(req);
    expect(result.publicId).toBe(req.publicId);
    expect(emulator.connections() - before).toBe(1);
    const mine = (await assets()).filter((asset) => asset.public_id === req.publicId);
    expect(mine).toEqual([expect.objectContaining({ writes: 1 })]);
  });

  it('does not send again at once a request reset after it was all sent on a kept-alive connection (the server may have processed it)', async () => {
    // A kept-alive connection for the next request to reuse.
    await provider.upload(request(makePng(2, 2)));
    await faults({ script: [{ kind: 'reset' }] });
    const error = await provider.upload(request(makePng(5, 5))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RetryableProviderError);
  });

  it('lets a temp file that changed while it was read fail the upload as that, with no asset made', async () => {
    const png = makePng(8, 8);
    const changed = new TempObjectChangedError('k', png.length, png.length - 10);
    const req = request(png, {
      open: () =>
        Promise.resolve(
          Readable.from(
            (function* () {
              yield png.subarray(0, 20);
              throw changed;
            })(),
          ),
        ),
    });
    await expect(provider.upload(req)).rejects.toBe(changed);
    expect((await assets()).filter((asset) => asset.public_id === req.publicId)).toEqual([]);
  });

  it('lets a missing temp object through unchanged, so the upload fails for that reason', async () => {
    const missing = request(makePng(1, 1), { open: () => Promise.reject(new TempObjectMissingError('k')) });
    await expect(provider.upload(missing)).rejects.toBeInstanceOf(TempObjectMissingError);
  });
});

describe('rate-limit hints from a provider that speaks Cloudinary', () => {
  it('reports the hourly quota, remaining and reset of each successful answer, and all of them on the 420', async () => {
    await faults({ rateLimitPerSecond: 2, rateLimitStyle: 'cloudinary' });
    const hints: RateLimitHint[] = [];
    const png = makePng(4, 4);
    let limited: RateLimitedError | undefined;
    const send = () =>
      provider.upload(request(png, { onRateLimitHint: (hint) => hints.push(hint) })).catch((error: unknown) => {
        limited = error as RateLimitedError;
      });
    // Start just after one of the emulator's one-second windows begins (they are aligned to the
    // clock's seconds): a 420 met near a window's end names a reset already past by the time it is
    // read, and a hint without a future reset rightly leaves out `remaining`.
    await new Promise((resolve) => setTimeout(resolve, 1_000 - (Date.now() % 1_000) + 20));
    await send();
    // Then five at once: three or more land in the window the first one opened
    // (one at a time, a slow machine can spread them so that none is ever refused).
    await Promise.all(Array.from({ length: 5 }, send));
    expect(hints[0]).toMatchObject({ ratePerSecond: 2, remaining: 1 });
    expect(hints[0]?.resetAt?.getTime()).toBeGreaterThan(Date.now() - 1_000);
    expect(limited).toBeInstanceOf(RateLimitedError);
    expect(limited?.hint).toMatchObject({ ratePerSecond: 2, remaining: 0 });
    expect(limited?.resetAt).toBeDefined();
  });
});
