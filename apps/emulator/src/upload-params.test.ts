import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { download, loadSdk, rawUpload, startEmulator, uploadBuffer } from './test-support/harness.js';
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

/** The path of a URL, where the emulator's and the SDK's hosts differ. */
const pathOf = (url: string): string => new URL(url).pathname;

describe('naming', () => {
  it('use_filename names the asset after the file, with a random suffix unless unique_filename is false', async () => {
    const unique = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ filename: 'beach.png', use_filename: true }));
    expect(unique.public_id).toMatch(/^beach_[a-z0-9]{6}$/);
    expect(unique).toMatchObject({ original_filename: 'beach', display_name: unique.public_id });

    const exact = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ filename: 'beach.png', use_filename: true, unique_filename: false, folder: 'trips' }));
    expect(exact).toMatchObject({ public_id: 'trips/beach', asset_folder: 'trips', display_name: 'beach' });
  });

  it('filename_override replaces the file’s name, for the public_id and original_filename alike', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ filename: 'IMG_0001.png', filename_override: 'sunset.png', use_filename: true, unique_filename: false }));
    expect(result).toMatchObject({ public_id: 'sunset', original_filename: 'sunset' });
  });

  it('without use_filename the id is random, and discard_original_filename drops the name', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ filename: 'beach.png', discard_original_filename: true, display_name: 'Beach day' }));
    expect(result.public_id).toMatch(/^[a-z0-9]{20}$/);
    expect(result.original_filename).toBeUndefined();
    expect(result.display_name).toBe('Beach day');
  });
});

describe('formats', () => {
  it('allowed_formats refuses any other format with Cloudinary’s message', async () => {
    const attempt = uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'no', allowed_formats: ['jpg', 'webp'] }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Image file format png not allowed' });
    const raw = uploadBuffer(sdk, Buffer.from('a,b\n'), emulator.options({ resource_type: 'raw', filename: 'list.csv', allowed_formats: ['txt'] }));
    await expect(raw).rejects.toMatchObject({ http_code: 400, message: 'Raw file format csv not allowed' });
    const allowed = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'yes', allowed_formats: ['PNG'] }));
    expect(allowed.format).toBe('png');
    const jpegConverted = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'jpeg', format: 'jpeg' }));
    expect(jpegConverted.format).toBe('jpg');
  });

  it('format records a conversion: the answer and its URLs carry the new format', async () => {
    const png = makePng(3, 2);
    const result = await uploadBuffer(sdk, png, emulator.options({ public_id: 'converted', format: 'webp' }));
    expect(result).toMatchObject({ format: 'webp', width: 3, height: 2 });
    expect(pathOf(result.secure_url)).toBe(`/hoist-local/image/upload/v${result.version}/converted.webp`);
    // The emulator does not transcode: the bytes served are the original's.
    expect((await download(result.secure_url)).bytes.equals(png)).toBe(true);
  });

  it('format with allowed_formats converts only what the list does not allow', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'normalised', allowed_formats: ['jpg'], format: 'jpg' }));
    expect(result.format).toBe('jpg');
  });

  it('refuses a format the resource type cannot become', async () => {
    const attempt = uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'video-png', format: 'mp4' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Invalid value mp4 for parameter image_file_type' });
  });
});

describe('delivery types', () => {
  it.each(['private', 'authenticated'] as const)('type %s answers with a signed URL, the only way to fetch it', async (type) => {
    const png = makePng(2, 2);
    const result = await uploadBuffer(sdk, png, emulator.options({ public_id: `secret/${type}`, type }));
    expect(result.type).toBe(type);
    const signed = sdk.url(`secret/${type}`, { type, sign_url: true, version: result.version, format: 'png', api_secret: 'hoist-local-secret' });
    expect(pathOf(result.secure_url)).toBe(pathOf(signed));
    expect(pathOf(result.secure_url)).toMatch(new RegExp(`^/hoist-local/image/${type}/s--[\\w-]{8}--/v\\d+/secret/${type}\\.png$`));
    expect((await download(result.secure_url)).bytes.equals(png)).toBe(true);

    const unsigned = `${emulator.url}/hoist-local/image/${type}/v${result.version}/secret/${type}.png`;
    expect((await fetch(unsigned)).status).toBe(401);
    expect((await fetch(`${emulator.url}/hoist-local/image/upload/secret/${type}.png`)).status).toBe(404);
    expect(await sdk.uploader.destroy(`secret/${type}`, emulator.options({ type }))).toEqual({ result: 'ok' });
  });

  it('access_mode authenticated keeps the upload type but needs a signed URL', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'members', access_mode: 'authenticated' }));
    expect(result).toMatchObject({ type: 'upload', access_mode: 'authenticated' });
    expect(pathOf(result.secure_url)).toMatch(/^\/hoist-local\/image\/upload\/s--[\w-]{8}--\/v\d+\/members\.png$/);
    expect((await fetch(result.secure_url)).status).toBe(200);
    expect((await fetch(`${emulator.url}/hoist-local/image/upload/members.png`)).status).toBe(401);
  });

  it('refuses a type uploads cannot have', async () => {
    const attempt = uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'fetched', type: 'fetch' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Invalid value fetch for parameter type' });
  });
});

describe('eager', () => {
  it('answers with the derived URLs and refuses a component Cloudinary does not have', async () => {
    const result = await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'eager', eager: [{ crop: 'fill', width: 200, height: 200 }, 'c_limit,w_1280/jpg'] }));
    expect(result.eager).toEqual([
      expect.objectContaining({ transformation: 'c_fill,h_200,w_200', format: 'png', secure_url: expect.stringMatching(/\/image\/upload\/c_fill,h_200,w_200\/v\d+\/eager\.png$/) as unknown }),
      expect.objectContaining({ transformation: 'c_limit,w_1280/jpg', format: 'jpg', secure_url: expect.stringMatching(/\/image\/upload\/c_limit,w_1280\/v\d+\/eager\.jpg$/) as unknown }),
    ]);
    const attempt = uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'typo', eager: 'c_fill,wdth_200' }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Invalid transformation component - wdth_200' });
  });
});

describe('parameters the emulator cannot honour', () => {
  it('refuses invalid add-on values with Cloudinary’s message and valid ones as unsupported', async () => {
    const badConvert = uploadBuffer(sdk, Buffer.from('x'), emulator.options({ resource_type: 'raw', raw_convert: 'pdf_magic' }));
    await expect(badConvert).rejects.toMatchObject({ http_code: 400, message: 'Invalid value pdf_magic for parameter raw_convert' });
    const badDetection = uploadBuffer(sdk, makePng(2, 2), emulator.options({ detection: 'everything' }));
    await expect(badDetection).rejects.toMatchObject({ http_code: 400, message: 'Invalid value everything for parameter detection' });
    const aspose = uploadBuffer(sdk, Buffer.from('x'), emulator.options({ resource_type: 'raw', raw_convert: 'aspose' }));
    await expect(aspose).rejects.toMatchObject({ http_code: 400, message: 'Parameter raw_convert is not supported by the Hoist emulator' });
  });

  it('refuses async instead of answering as if the upload were done', async () => {
    const attempt = uploadBuffer(sdk, makePng(2, 2), emulator.options({ async: true }));
    await expect(attempt).rejects.toMatchObject({ http_code: 400, message: 'Parameter async is not supported by the Hoist emulator' });
    expect((await uploadBuffer(sdk, makePng(2, 2), emulator.options({ public_id: 'sync', async: false }))).public_id).toBe('sync');
  });

  it('refuses a parameter Cloudinary does not have rather than ignoring a typo', async () => {
    const response = await rawUpload(emulator, sdk.utils.sign_request, makePng(2, 2), { public_id: 'typo', use_filname: 1 });
    expect(response.status).toBe(400);
    expect(await response.json()).toEqual({ error: { message: 'Unknown parameter use_filname' } });
  });

  it('refuses a flag that is neither true nor false', async () => {
    const response = await rawUpload(emulator, sdk.utils.sign_request, makePng(2, 2), { overwrite: 'maybe' });
    expect(await response.json()).toEqual({ error: { message: 'Invalid value maybe for parameter overwrite' } });
  });
});
