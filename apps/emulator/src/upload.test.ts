import { createHash } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download, loadSdk, startEmulator, uploadBuffer } from './test-support/harness.js';
import type { RunningEmulator, Sdk } from './test-support/harness.js';
import { makePng } from '../../../test/support/fixtures.js';

let sdk: Sdk;
let emulator: RunningEmulator;

beforeAll(async () => {
  sdk = await loadSdk();
  emulator = await startEmulator();
});

afterAll(async () => {
  await emulator.close();
});

beforeEach(async () => {
  await fetch(`${emulator.url}/__emulator/assets`, { method: 'DELETE' });
});

async function listAssets(): Promise<Array<Record<string, unknown>>> {
  const response = await fetch(`${emulator.url}/__emulator/assets`);
  return ((await response.json()) as { assets: Array<Record<string, unknown>> }).assets;
}

describe('upload with the real SDK', () => {
  it('stores a PNG, answers like Cloudinary and serves identical bytes', async () => {
    const png = makePng(7, 5);
    const result = await uploadBuffer(sdk, png, emulator.options({ public_id: 'cats/tom', tags: ['pets', 'grey'] }));

    expect(result).toMatchObject({
      public_id: 'cats/tom',
      width: 7,
      height: 5,
      format: 'png',
      resource_type: 'image',
      bytes: png.length,
      type: 'upload',
      etag: createHash('md5').update(png).digest('hex'),
      placeholder: false,
      tags: ['pets', 'grey'],
      folder: 'cats',
      // As with Cloudinary's dynamic folders: a path in public_id alone puts nothing in a folder.
      asset_folder: '',
      display_name: 'tom',
      access_mode: 'public',
      original_filename: 'file',
      api_key: 'hoist-local-key',
    });
    expect(result.secure_url).toBe(`${emulator.url}/hoist-local/image/upload/v${result.version}/cats/tom.png`);
    expect(result.url).toBe(result.secure_url);
    expect(new Date(result.created_at).getTime()).not.toBeNaN();
    // Cloudinary's response signature, as the SDK's verify_api_response_signature checks it.
    expect(result.signature).toBe(sdk.utils.api_sign_request({ public_id: result.public_id, version: result.version }, 'hoist-local-secret'));

    const { response, bytes } = await download(result.secure_url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('content-length')).toBe(String(png.length));
    expect(response.headers.get('etag')).toBe(`"${result.etag}"`);
    expect(bytes.equals(png)).toBe(true);

    const head = await fetch(result.secure_url, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, String(png.length)]);
    const cached = await fetch(result.secure_url, { headers: { 'if-none-match': `"${result.etag}"` } });
    expect(cached.status).toBe(304);

    const unversioned = await download(`${emulator.url}/hoist-local/image/upload/cats/tom.png`);
    expect(unversioned.bytes.equals(png)).toBe(true);
    expect((await fetch(`${emulator.url}/hoist-local/image/upload/cats/jerry.png`)).status).toBe(404);
  });

  it('rejects a wrong secret with 401 and the string to sign', async () => {
    const attempt = uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'nope', api_secret: 'wrong' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 401, message: expect.stringMatching(/^Invalid Signature [0-9a-f]{40}\. String to sign - 'public_id=nope&timestamp=\d+'\.$/) as unknown });
    expect(await listAssets()).toEqual([]);
  });

  it('rejects an unknown cloud name with Cloudinary’s 401', async () => {
    const attempt = uploadBuffer(sdk, makePng(2, 2), emulator.options({ cloud_name: 'elsewhere' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 401, message: 'Invalid cloud_name elsewhere' });
    const raw = await fetch(`${emulator.url}/v1_1/elsewhere/image/upload`, { method: 'POST' });
    expect([raw.status, raw.headers.get('x-cld-error')]).toEqual([401, 'Invalid cloud_name elsewhere']);
  });

  it('keeps the existing asset when overwrite is false', async () => {
    const first = await uploadBuffer(sdk, makePng(3, 3, 1), emulator.options({ public_id: 'keep' }));
    const second = await uploadBuffer(sdk, makePng(4, 4, 2), emulator.options({ public_id: 'keep', overwrite: false }));
    expect(second).toMatchObject({ existing: true, version: first.version, etag: first.etag, width: 3 });
    expect(await listAssets()).toEqual([expect.objectContaining({ public_id: 'keep', writes: 1 })]);
  });

  it('overwrites by default with a higher version and new bytes', async () => {
    const first = await uploadBuffer(sdk, makePng(3, 3, 1), emulator.options({ public_id: 'again' }));
    const replacement = makePng(5, 5, 9);
    const second = await uploadBuffer(sdk, replacement, emulator.options({ public_id: 'again' }));
    expect(second.version).toBeGreaterThan(first.version);
    expect(second.asset_id).toBe(first.asset_id);
    expect(second.existing).toBeUndefined();
    expect((await download(second.secure_url)).bytes.equals(replacement)).toBe(true);
    expect(await listAssets()).toEqual([expect.objectContaining({ public_id: 'again', writes: 2, version: second.version })]);
  });

  it('applies folder, context and a random public_id', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ folder: 'inbox', context: { alt: 'a|b', caption: 'hi' } }));
    expect(result.public_id).toMatch(/^inbox\/[a-z0-9]{20}$/);
    expect(result).toMatchObject({ folder: 'inbox', asset_folder: 'inbox', display_name: result.public_id.slice('inbox/'.length) });
    expect(result.context).toEqual({ custom: { alt: 'a|b', caption: 'hi' } });
  });

  it('uploads a data URI, and stores unknown bytes as raw with the file name’s format', async () => {
    const png = makePng(6, 1);
    const fromUri = await sdk.uploader.upload(`data:image/png;base64,${png.toString('base64')}`, emulator.options({ public_id: 'uri' }));
    expect(fromUri).toMatchObject({ width: 6, height: 1, format: 'png', bytes: png.length });

    const text = Buffer.from('name,qty\napple,3\n');
    const raw = await uploadBuffer(sdk, text, emulator.options({ resource_type: 'auto', filename: 'stock.csv', public_id: 'stock' }));
    expect(raw).toMatchObject({ resource_type: 'raw', format: 'csv', original_filename: 'stock' });
    expect(raw.width).toBeUndefined();
    const { response, bytes } = await download(raw.secure_url);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(bytes.equals(text)).toBe(true);
  });

  it('resolves auto to image for PDFs, with their pages', async () => {
    const pdf = Buffer.from('%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page /MediaBox [0 0 612 792] >>\n3 0 obj << /Type /Page >>\n%%EOF\n');
    const result = await uploadBuffer(sdk, pdf, emulator.options({ resource_type: 'auto', public_id: 'doc' }));
    expect(result).toMatchObject({ resource_type: 'image', format: 'pdf', pages: 2, width: 612, height: 792 });
  });

  it('refuses non-images on the image endpoint', async () => {
    const attempt = uploadBuffer(sdk, Buffer.from('not an image'), emulator.options({ public_id: 'bad' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Invalid image file' });
  });

  it('destroys assets', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'gone' }));
    expect(await sdk.uploader.destroy('gone', emulator.options())).toEqual({ result: 'ok' });
    expect(await sdk.uploader.destroy('gone', emulator.options())).toEqual({ result: 'not found' });
    expect((await fetch(result.secure_url)).status).toBe(404);
  });
});
