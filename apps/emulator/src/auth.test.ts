import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadSdk, startEmulator, uploadBuffer, uploadUnsigned } from './test-support/harness.js';
import type { RunningEmulator, Sdk } from './test-support/harness.js';
import { makePng } from '../../../test/support/fixtures.js';

let sdk: Sdk;
let sha1: RunningEmulator;
let sha256: RunningEmulator;

beforeAll(async () => {
  sdk = await loadSdk();
  sha1 = await startEmulator({ unsignedPresets: ['browser'] });
  sha256 = await startEmulator({ signatureAlgorithm: 'sha256' });
});

afterAll(async () => {
  await Promise.all([sha1.close(), sha256.close()]);
});

beforeEach(async () => {
  await fetch(`${sha1.url}/__emulator/assets`, { method: 'DELETE' });
});

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
/** How Cloudinary prints a reported time in its stale-request message. */
const reported = (seconds: number): string => `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')} +0000`;

describe('signature algorithm', () => {
  it('signs with SHA-1 by default and refuses an SDK configured for SHA-256 with Cloudinary’s message', async () => {
    expect((await uploadBuffer(sdk, makePng(2, 2), sha1.options({ public_id: 'one' }))).public_id).toBe('one');
    const attempt = uploadBuffer(sdk, makePng(2, 2), sha1.options({ public_id: 'two', signature_algorithm: 'sha256' }));
    await expect(attempt).rejects.toMatchObject({
      http_code: 401,
      message: expect.stringMatching(/^Invalid Signature [0-9a-f]{64}\. String to sign - 'public_id=two&timestamp=\d+'\.$/) as unknown,
    });
  });

  it('with EMULATOR_SIGNATURE_ALGORITHM=sha256 accepts only SHA-256 signatures', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), sha256.options({ public_id: 'strong', signature_algorithm: 'sha256' }));
    expect(result.public_id).toBe('strong');
    const attempt = uploadBuffer(sdk, makePng(2, 2), sha256.options({ public_id: 'weak' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 401, message: expect.stringMatching(/^Invalid Signature [0-9a-f]{40}\. /) as unknown });
  });
});

describe('request age', () => {
  it('refuses a signature older than an hour as a stale request', async () => {
    const timestamp = nowSeconds() - 3700;
    const attempt = uploadBuffer(sdk, makePng(2, 2), sha1.options({ public_id: 'old', timestamp }));
    await expect(attempt).rejects.toMatchObject({
      http_code: 400,
      message: `Stale request - reported time is ${reported(timestamp)} which is more than 1 hour ago`,
    });
  });

  it('refuses a timestamp more than an hour in the future instead of letting it live for days', async () => {
    const timestamp = nowSeconds() + 3 * 24 * 3600;
    const attempt = uploadBuffer(sdk, makePng(2, 2), sha1.options({ public_id: 'future', timestamp }));
    await expect(attempt).rejects.toMatchObject({
      http_code: 400,
      message: `Stale request - reported time is ${reported(timestamp)} which is more than 1 hour in the future`,
    });
  });
});

describe('unsigned uploads', () => {
  it('work with a preset from EMULATOR_UNSIGNED_PRESETS and never overwrite', async () => {
    const first = await uploadUnsigned(sdk, makePng(3, 3, 1), 'browser', sha1.options({ public_id: 'avatar', tags: ['me'] }));
    expect(first).toMatchObject({ public_id: 'avatar', width: 3, tags: ['me'] });
    const second = await uploadUnsigned(sdk, makePng(4, 4, 2), 'browser', sha1.options({ public_id: 'avatar' }));
    expect(second).toMatchObject({ existing: true, width: 3, version: first.version });
  });

  it('refuse a preset that is not configured as unsigned', async () => {
    const attempt = uploadUnsigned(sdk, makePng(2, 2), 'server_side', sha1.options());
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Upload preset not found' });
  });

  it('refuse parameters outside Cloudinary’s unsigned allow-list', async () => {
    const attempt = uploadUnsigned(sdk, makePng(2, 2), 'browser', sha1.options({ overwrite: true }));
    await expect(attempt).rejects.toMatchObject({
      http_code: 400,
      message:
        'Overwrite parameter is not allowed when using unsigned upload. Only upload_preset,public_id,folder,asset_folder,display_name,tags,context,filename_override upload parameters are allowed.',
    });
  });

  it('refuse a request with neither a signature nor a preset', async () => {
    const form = new FormData();
    form.append('file', new Blob([makePng(2, 2)]), 'x.png');
    form.append('api_key', 'hoist-local-key');
    const response = await fetch(`${sha1.url}/v1_1/hoist-local/image/upload`, { method: 'POST', body: form });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: 'Upload preset must be specified when using unsigned upload' } });
    expect(response.headers.get('x-cld-error')).toBe('Upload preset must be specified when using unsigned upload');
  });
});

describe('request errors', () => {
  it('refuses an empty file', async () => {
    const attempt = uploadBuffer(sdk, Buffer.alloc(0), sha1.options({ resource_type: 'raw', public_id: 'empty' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Empty file' });
  });
});
