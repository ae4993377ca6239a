import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CLOUD, download, loadSdk, startEmulator, uploadLarge } from './test-support/harness.js';
import { MIN_CHUNK_BYTES } from './chunks.js';
import type { RunningEmulator, Sdk } from './test-support/harness.js';
import { makePng } from '../../../test/support/fixtures.js';

let sdk: Sdk;
let emulator: RunningEmulator;
let workDir: string;
/** ~9 MB of incompressible pixels: two chunks of Cloudinary's smallest size. */
const bigPng = makePng(2000, 1500, 3, { noisy: true });

beforeAll(async () => {
  sdk = await loadSdk();
  emulator = await startEmulator();
  workDir = await mkdtemp(join(tmpdir(), 'emulator-chunked-test-'));
});

afterAll(async () => {
  await emulator.close();
  await rm(workDir, { recursive: true, force: true });
});

beforeEach(async () => {
  await fetch(`${emulator.url}/__emulator/assets`, { method: 'DELETE' });
  await fetch(`${emulator.url}/__emulator/faults`, { method: 'DELETE' });
  await fetch(`${emulator.url}/__emulator/stats`, { method: 'DELETE' });
});

async function stats(): Promise<{ requests: number; uploads: number; byStatus: Record<string, number> }> {
  return (await (await fetch(`${emulator.url}/__emulator/stats`)).json()) as { requests: number; uploads: number; byStatus: Record<string, number> };
}

describe('upload_large with the real SDK', () => {
  it('sends several chunks and the assembled asset serves identical bytes', async () => {
    const path = join(workDir, 'noisy.png');
    await writeFile(path, bigPng);
    const chunkSize = MIN_CHUNK_BYTES;

    const result = await uploadLarge(sdk, path, emulator.options({ resource_type: 'image', public_id: 'large/noisy', chunk_size: chunkSize }));

    expect(result).toMatchObject({ public_id: 'large/noisy', width: 2000, height: 1500, format: 'png', bytes: bigPng.length, done: true });
    expect((await download(result.secure_url)).bytes.equals(bigPng)).toBe(true);
    expect((await stats()).uploads).toBe(Math.ceil(bigPng.length / chunkSize));
  });

  it('refuses a chunk under 5 MB that is not the last, as Cloudinary does', async () => {
    const path = join(workDir, 'small-chunks.png');
    await writeFile(path, bigPng);
    const attempt = uploadLarge(sdk, path, emulator.options({ resource_type: 'image', public_id: 'small-chunks', chunk_size: 1_000_000 }));
    await expect(attempt).rejects.toMatchObject({
      http_code: 400,
      message: `Chunk size too small. Got 1000000. Minimum is ${MIN_CHUNK_BYTES} for every chunk but the last.`,
    });
    expect(((await (await fetch(`${emulator.url}/__emulator/assets`)).json()) as { assets: unknown[] }).assets).toEqual([]);
  });

  it('defaults to raw, whose format is unknown because the SDK drops the extension', async () => {
    const bytes = Buffer.alloc(40_000, 'abc');
    const path = join(workDir, 'notes.txt');
    await writeFile(path, bytes);
    const result = await uploadLarge(sdk, path, emulator.options({ public_id: 'notes' }));
    expect(result).toMatchObject({ resource_type: 'raw', bytes: bytes.length, original_filename: 'notes' });
    expect(result.format).toBeUndefined();
    expect(result.secure_url).toBe(`${emulator.url}/hoist-local/raw/upload/v${result.version}/notes`);
    expect((await download(result.secure_url)).bytes.equals(bytes)).toBe(true);
  });

  it('reports a failed chunk to the caller and stores nothing', async () => {
    const path = join(workDir, 'fail.png');
    await writeFile(path, bigPng);
    await emulator.setFaults({ script: [{ kind: 'error', status: 500, count: 1 }] });
    const attempt = uploadLarge(sdk, path, emulator.options({ resource_type: 'image', public_id: 'fail', chunk_size: MIN_CHUNK_BYTES }));
    await expect(attempt).rejects.toMatchObject({ http_code: 500 });
    expect(((await (await fetch(`${emulator.url}/__emulator/assets`)).json()) as { assets: unknown[] }).assets).toEqual([]);
  });
});

describe('chunk protocol', () => {
  const uploadId = 'retry-test-upload';

  async function sendChunk(file: Buffer, start: number, end: number, total: number): Promise<{ status: number; body: Record<string, unknown> }> {
    const signed = sdk.utils.sign_request({ timestamp: Math.floor(Date.now() / 1000), public_id: 'retried' }, { api_key: CLOUD.api_key, api_secret: CLOUD.api_secret });
    const form = new FormData();
    for (const [key, value] of Object.entries(signed)) form.append(key, String(value));
    form.append('file', new Blob([file.subarray(start, end + 1)]), 'retried.png');
    const response = await fetch(`${emulator.url}/v1_1/hoist-local/image/upload`, {
      method: 'POST',
      body: form,
      headers: { 'X-Unique-Upload-Id': uploadId, 'Content-Range': `bytes ${start}-${end}/${total}` },
    });
    return { status: response.status, body: (await response.json()) as Record<string, unknown> };
  }

  it('treats a resent range as a no-op and survives a failed final chunk', async () => {
    const png = makePng(2000, 2000, 5, { noisy: true }); // ~12 MB: two full chunks and a short last one
    const [a, b] = [MIN_CHUNK_BYTES, 2 * MIN_CHUNK_BYTES];

    expect(await sendChunk(png, 0, a - 1, -1)).toEqual({ status: 200, body: { done: false, bytes_received: a } });
    expect((await sendChunk(png, a, b - 1, -1)).body).toMatchObject({ done: false });
    // The same range again (a client retry after a lost answer) changes nothing.
    expect((await sendChunk(png, a, b - 1, -1)).body).toEqual({ done: false, bytes_received: b });

    await emulator.setFaults({ script: [{ kind: 'error', status: 503, count: 1 }] });
    expect((await sendChunk(png, b, png.length - 1, png.length)).status).toBe(503);
    const final = await sendChunk(png, b, png.length - 1, png.length);
    expect(final).toMatchObject({ status: 200, body: { done: true, public_id: 'retried', bytes: png.length, width: 2000, height: 2000 } });

    // Retrying the last chunk once more answers the same asset without writing it again.
    expect((await sendChunk(png, b, png.length - 1, png.length)).body).toEqual(final.body);
    const assets = ((await (await fetch(`${emulator.url}/__emulator/assets`)).json()) as { assets: unknown[] }).assets;
    expect(assets).toEqual([expect.objectContaining({ public_id: 'retried', writes: 1, bytes: png.length })]);
    expect((await download(String(final.body['secure_url']))).bytes.equals(png)).toBe(true);
  });

  it('rejects a chunk whose size contradicts its Content-Range', async () => {
    const bytes = Buffer.alloc(100, 1);
    const signed = sdk.utils.sign_request({ timestamp: Math.floor(Date.now() / 1000) }, { api_key: CLOUD.api_key, api_secret: CLOUD.api_secret });
    const form = new FormData();
    for (const [key, value] of Object.entries(signed)) form.append(key, String(value));
    form.append('file', new Blob([bytes]), 'x.bin');
    const response = await fetch(`${emulator.url}/v1_1/hoist-local/raw/upload`, {
      method: 'POST',
      body: form,
      headers: { 'X-Unique-Upload-Id': 'bad-range', 'Content-Range': 'bytes 0-199/-1' },
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: 'Chunk size 100 does not match Content-Range bytes 0-199' } });
  });
});
