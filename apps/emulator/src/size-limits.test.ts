import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadSdk, startEmulator, uploadBuffer } from './test-support/harness.js';
import type { RunningEmulator, Sdk } from './test-support/harness.js';
import { MAX_SINGLE_REQUEST_BYTES } from './upload-api.js';

let sdk: Sdk;
let emulator: RunningEmulator;

beforeAll(async () => {
  sdk = await loadSdk();
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.close();
});

describe('size limits', () => {
  it('refuses a single request over 100 MB with Cloudinary’s message and stores nothing', async () => {
    expect(MAX_SINGLE_REQUEST_BYTES).toBe(104_857_600);
    const bytes = Buffer.alloc(MAX_SINGLE_REQUEST_BYTES + 1, 7);
    const attempt = uploadBuffer(sdk, bytes, emulator.options({ resource_type: 'raw', public_id: 'huge', timeout: 120_000 }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'File size too large. Got 104857601. Maximum is 104857600.' });
    const assets = ((await (await fetch(`${emulator.url}/__emulator/assets`)).json()) as { assets: unknown[] }).assets;
    expect(assets).toEqual([]);
  }, 120_000);
});
