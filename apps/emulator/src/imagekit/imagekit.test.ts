import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePng } from '../../../../test/support/fixtures.js';
import { DEFAULTS } from '../config.js';
import { buildEmulator } from '../emulator.js';

// The ImageKit account over plain HTTP, as ImageKit's docs describe the wire: multipart uploads to
// /api/v1/files/upload, JSON media API under /v1, Basic auth with the private key as user name.

const MAX_FILE_BYTES = 4096;
let app: FastifyInstance;
let url: string;

beforeAll(async () => {
  app = buildEmulator({ logLevel: 'silent', imagekitMaxFileBytes: MAX_FILE_BYTES });
  await app.listen({ host: '127.0.0.1', port: 0 });
  url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  const closed = app.close();
  app.server.closeAllConnections();
  await closed;
});
beforeEach(async () => {
  await fetch(`${url}/__emulator/imagekit/assets`, { method: 'DELETE' });
  await fetch(`${url}/__emulator/imagekit/faults`, { method: 'DELETE' });
});

const basic = (key: string): string => `Basic ${Buffer.from(`${key}:`).toString('base64')}`;
const AUTH = { authorization: basic(DEFAULTS.imagekitPrivateKey) };

function form(fields: Record<string, string>, file: Buffer | undefined): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  if (file !== undefined) body.append('file', new Blob([new Uint8Array(file)], { type: 'image/png' }), 'upload.png');
  return body;
}

async function upload(fields: Record<string, string>, options: { file?: Buffer | undefined; headers?: Record<string, string> } = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const response = await fetch(`${url}/api/v1/files/upload`, {
    method: 'POST',
    headers: options.headers ?? AUTH,
    body: form(fields, 'file' in options ? options.file : makePng(3, 2, 1)),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

async function api(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${url}${path}`, { ...init, headers: { ...AUTH, ...(init.headers as Record<string, string> | undefined) } });
}

async function assets(): Promise<Array<{ fileId: string; filePath: string; version: number }>> {
  const response = await fetch(`${url}/__emulator/imagekit/assets`);
  return ((await response.json()) as { assets: Array<{ fileId: string; filePath: string; version: number }> }).assets;
}

const SAME_PATH = { fileName: 'cat', folder: '/t1/pets', useUniqueFileName: 'false', overwriteFile: 'true' };

describe('ImageKit upload API', () => {
  it('stores the file at folder/fileName, answers like ImageKit, and delivers the same bytes', async () => {
    const png = makePng(3, 2, 1);
    const { status, body } = await upload({ ...SAME_PATH, tags: 'a,b', responseFields: 'tags' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ name: 'cat', filePath: '/t1/pets/cat', size: png.length, fileType: 'image', width: 3, height: 2, tags: ['a', 'b'] });
    expect(body['versionInfo']).toEqual({ id: body['fileId'], name: 'Version 1' });
    expect(body['url']).toBe(`${url}/imagekit/${DEFAULTS.imagekitId}/t1/pets/cat`);
    const delivered = await fetch(`${String(body['url'])}?tr=w-100`);
    expect(Buffer.from(await delivered.arrayBuffer()).equals(png)).toBe(true);
    const thumbnail = await fetch(String(body['thumbnailUrl']));
    expect(thumbnail.status).toBe(200);
    await thumbnail.arrayBuffer();
  });

  it('replaces the file at the same path with a new version when asked, keeping its id', async () => {
    const first = await upload(SAME_PATH);
    const second = await upload(SAME_PATH, { file: makePng(3, 2, 2) });
    expect(second.body['fileId']).toBe(first.body['fileId']);
    expect(second.body['versionInfo']).toMatchObject({ name: 'Version 2' });
    expect((await assets()).map((asset) => asset.filePath)).toEqual(['/t1/pets/cat']);
  });

  it('adds a unique suffix by default (useUniqueFileName=true), so a repeat makes a second file', async () => {
    const first = await upload({ fileName: 'dog.png', folder: 'pets' });
    const second = await upload({ fileName: 'dog.png', folder: 'pets' });
    expect(first.body['name']).toMatch(/^dog_[A-Za-z0-9]+\.png$/);
    expect(second.body['filePath']).not.toBe(first.body['filePath']);
    expect(await assets()).toHaveLength(2);
  });

  it('refuses to overwrite when both overwriteFile and useUniqueFileName are false', async () => {
    await upload(SAME_PATH);
    const refused = await upload({ ...SAME_PATH, overwriteFile: 'false' });
    expect(refused.status).toBe(400);
    expect(refused.body['message']).toMatch(/already exists/);
  });

  it('replaces characters a file name may not hold with _', async () => {
    const { body } = await upload({ ...SAME_PATH, fileName: 'my cat+1.png' });
    expect(body['name']).toBe('my_cat_1.png');
  });

  it.each([
    ['no private key', {}, 401, 'Your request does not contain private API key.'],
    ['another private key', { authorization: basic('private_wrong') }, 403, 'Your account cannot be authenticated.'],
    ['a bearer token', { authorization: `Bearer ${DEFAULTS.imagekitPrivateKey}` }, 401, 'Your request does not contain private API key.'],
  ])('refuses %s with ImageKit error body', async (_name, headers, status, message) => {
    const refused = await upload(SAME_PATH, { headers });
    expect(refused.status).toBe(status);
    expect(refused.body).toEqual({ message, help: expect.stringContaining('support@imagekit.io') as unknown });
    expect(await assets()).toHaveLength(0);
  });

  it.each([
    ['no file', { ...SAME_PATH }, undefined, /missing file parameter/],
    ['no fileName', { folder: '/x' }, makePng(1, 1), /fileName/],
    ['a flag that is not true or false', { ...SAME_PATH, useUniqueFileName: 'no' }, makePng(1, 1), /useUniqueFileName/],
    ['a tag with %', { ...SAME_PATH, tags: '50%' }, makePng(1, 1), /%/],
    ['tags longer than 500 characters together', { ...SAME_PATH, tags: `${'a'.repeat(300)},${'b'.repeat(201)}` }, makePng(1, 1), /500/],
    ['a folder with a dot', { ...SAME_PATH, folder: '/v1.2' }, makePng(1, 1), /folder/],
    ['custom metadata that is not JSON', { ...SAME_PATH, customMetadata: '{nope' }, makePng(1, 1), /customMetadata/],
    ['a custom metadata field never created', { ...SAME_PATH, customMetadata: '{"sku":"A1"}' }, makePng(1, 1), /sku does not exist/],
  ])('refuses %s with a 400', async (_name, fields, file, message) => {
    const refused = await upload(fields, { file });
    expect(refused.status).toBe(400);
    expect(String(refused.body['message'])).toMatch(message);
    expect(await assets()).toHaveLength(0);
  });

  it('keeps custom metadata for fields created first, of their type', async () => {
    const created = await api('/v1/customMetadataFields', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sku', label: 'SKU', schema: { type: 'Text' } }),
    });
    expect(created.status).toBe(201);
    const wrongType = await upload({ ...SAME_PATH, customMetadata: '{"sku":12}' });
    expect(wrongType.status).toBe(400);
    const { status, body } = await upload({ ...SAME_PATH, customMetadata: '{"sku":"A1"}', responseFields: 'customMetadata' });
    expect(status).toBe(200);
    expect(body['customMetadata']).toEqual({ sku: 'A1' });
    const again = await api('/v1/customMetadataFields', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'sku', label: 'SKU 2', schema: { type: 'Text' } }),
    });
    expect(again.status).toBe(400);
    const invalid = await api('/v1/customMetadataFields', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', schema: { type: 'Colour' } }) });
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { errors: Record<string, string> }).errors).toHaveProperty(['schema.type']);
  });

  it('refuses a file over the size limit, and takes one at it', async () => {
    const over = await upload(SAME_PATH, { file: Buffer.alloc(MAX_FILE_BYTES + 1, 1) });
    expect(over.status).toBe(400);
    expect(String(over.body['message'])).toMatch(/size/);
    const at = await upload(SAME_PATH, { file: Buffer.alloc(MAX_FILE_BYTES, 1) });
    expect(at.status).toBe(200);
    expect(at.body).toMatchObject({ size: MAX_FILE_BYTES, fileType: 'non-image' });
  });
});

describe('ImageKit media API', () => {
  it('lists a folder by name, gives details, deletes by id and then answers 404', async () => {
    const { body } = await upload(SAME_PATH);
    await upload({ ...SAME_PATH, fileName: 'cat2' });
    const found = await api(`/v1/files?path=${encodeURIComponent('/t1/pets/')}&searchQuery=${encodeURIComponent('name = "cat"')}`);
    expect(((await found.json()) as Array<{ fileId: string }>).map((file) => file.fileId)).toEqual([body['fileId']]);
    const details = await api(`/v1/files/${String(body['fileId'])}/details`);
    expect(await details.json()).toMatchObject({ type: 'file', filePath: '/t1/pets/cat', mime: 'image/png' });
    expect((await api(`/v1/files/${String(body['fileId'])}`, { method: 'DELETE' })).status).toBe(204);
    const again = await api(`/v1/files/${String(body['fileId'])}`, { method: 'DELETE' });
    expect(again.status).toBe(404);
    expect(await again.json()).toMatchObject({ message: 'The requested file does not exist.' });
    expect((await fetch(String(body['url']))).status).toBe(404);
  });

  it('refuses a search query it cannot answer, and an unauthenticated request', async () => {
    expect((await api(`/v1/files?searchQuery=${encodeURIComponent('size > "2mb"')}`)).status).toBe(400);
    expect((await fetch(`${url}/v1/files`)).status).toBe(401);
  });
});

describe('ImageKit rate limits and faults', () => {
  it('answers a scripted rate limit with 429 and the X-RateLimit headers', async () => {
    await fetch(`${url}/__emulator/imagekit/faults`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ script: [{ kind: 'rate_limit', resetInSeconds: 30, limit: 7200, hint: 'headers' }] }),
    });
    const limited = await upload(SAME_PATH);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('7200');
    expect(limited.headers.get('x-ratelimit-interval')).toBe('3600000');
    const reset = Number(limited.headers.get('x-ratelimit-reset'));
    expect(reset).toBeGreaterThan(25_000);
    expect(reset).toBeLessThanOrEqual(31_000);
    expect((await upload(SAME_PATH)).status).toBe(200);
  });

  it('rate-limits the media API, not uploads, and says the limit on every media answer', async () => {
    await fetch(`${url}/__emulator/imagekit/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ rateLimitPerSecond: 0.5 }) });
    for (let i = 0; i < 3; i += 1) expect((await upload(SAME_PATH)).status).toBe(200);
    // One request per 2-second window; a fresh window may start between the two calls, so try again once.
    for (let attempt = 0; ; attempt += 1) {
      const first = await api('/v1/files');
      const second = await api('/v1/files');
      await Promise.all([first.arrayBuffer(), second.arrayBuffer()]);
      if (first.status === 200 && second.status === 429) {
        expect(first.headers.get('x-ratelimit-limit')).toBe('1');
        expect(second.headers.get('x-ratelimit-interval')).toBe('2000');
        expect(Number(second.headers.get('x-ratelimit-reset'))).toBeLessThanOrEqual(2000);
        break;
      }
      expect(attempt).toBeLessThan(1);
    }
  });

  it('keeps its own faults and stats, apart from the Cloudinary ones', async () => {
    await fetch(`${url}/__emulator/imagekit/stats`, { method: 'DELETE' });
    const put = await fetch(`${url}/__emulator/imagekit/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ script: [{ kind: 'error', status: 503 }] }) });
    expect(((await put.json()) as { script: unknown[] }).script).toHaveLength(1);
    expect(((await (await fetch(`${url}/__emulator/faults`)).json()) as { script: unknown[] }).script).toHaveLength(0);
    expect((await upload(SAME_PATH)).status).toBe(503);
    expect((await upload(SAME_PATH)).status).toBe(200);
    expect(await (await fetch(`${url}/__emulator/imagekit/stats`)).json()).toEqual({ requests: 2, uploads: 2, byStatus: { '503': 1, '200': 1 } });
    const refused = await fetch(`${url}/__emulator/imagekit/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ script: [{ kind: 'nonsense' }] }) });
    expect(refused.status).toBe(400);
    expect(((await (await fetch(`${url}/__emulator/imagekit/assets`, { method: 'DELETE' })).json()) as { deleted: number }).deleted).toBe(1);
    expect(await assets()).toHaveLength(0);
  });
});
