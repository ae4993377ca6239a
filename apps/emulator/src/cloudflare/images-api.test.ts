import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePng } from '../../../../test/support/fixtures.js';
import { DEFAULTS } from '../config.js';
import { startEmulator } from '../test-support/harness.js';
import type { RunningEmulator } from '../test-support/harness.js';

// Cloudflare Images' side of the emulator over HTTP, as its API's clients see it.

let emulator: RunningEmulator;
let api: string;
const png = makePng(4, 3, 1);
const TOKEN = { authorization: `Bearer ${DEFAULTS.cloudflareApiToken}` };

interface Envelope {
  success: boolean;
  result: Record<string, unknown> | null;
  errors: { code: number; message: string }[];
  messages: unknown[];
}

function form(fields: Record<string, string | Buffer>): FormData {
  const body = new FormData();
  for (const [name, value] of Object.entries(fields)) {
    if (typeof value === 'string') body.append(name, value);
    else body.append(name, new Blob([value]), 'image.png');
  }
  return body;
}

async function post(fields: Record<string, string | Buffer>, headers: Record<string, string> = TOKEN, account = DEFAULTS.cloudflareAccountId): Promise<{ response: Response; body: Envelope }> {
  const response = await fetch(`${emulator.url}/client/v4/accounts/${account}/images/v1`, { method: 'POST', headers, body: form(fields) });
  return { response, body: (await response.json()) as Envelope };
}

async function control(path: string, init: RequestInit = {}): Promise<unknown> {
  const response = await fetch(`${emulator.url}/__emulator/cloudflare/${path}`, init);
  expect(response.ok).toBe(true);
  return response.json();
}

const putFaults = (settings: unknown): Promise<unknown> => control('faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });

beforeAll(async () => {
  emulator = await startEmulator();
  api = `${emulator.url}/client/v4/accounts/${DEFAULTS.cloudflareAccountId}/images/v1`;
});
afterAll(async () => {
  await emulator.close();
});
beforeEach(async () => {
  await control('faults', { method: 'DELETE' });
  await control('stats', { method: 'DELETE' });
  await control('assets', { method: 'DELETE' });
});

describe('Cloudflare Images upload', () => {
  it('stores the file at the custom id and answers with its variants, which serve the bytes', async () => {
    const { response, body } = await post({ file: png, id: 'tenant/photos/cat', metadata: '{"owner":"t1"}' });
    expect(response.status).toBe(200);
    expect(body).toMatchObject({ success: true, errors: [], messages: [], result: { id: 'tenant/photos/cat', filename: 'image.png', meta: { owner: 't1' }, requireSignedURLs: false } });
    const variants = body.result?.['variants'] as string[];
    expect(variants).toEqual([`${emulator.url}/cdn-cgi/imagedelivery/${DEFAULTS.cloudflareAccountHash}/tenant/photos/cat/public`]);
    const delivered = await fetch(variants[0] ?? '');
    expect(delivered.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await delivered.arrayBuffer()).equals(png)).toBe(true);
    expect((await fetch(variants[0]?.replace('/public', '/thumbnail') ?? '')).status).toBe(404);
  });

  it('gives an image without a custom id a UUID', async () => {
    const { body } = await post({ file: png });
    expect(body.result?.['id']).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it('answers a create at a taken id with a conflict and keeps the first image', async () => {
    await post({ file: png, id: 'tenant/taken' });
    const { response, body } = await post({ file: makePng(4, 3, 2), id: 'tenant/taken' });
    expect(response.status).toBe(409);
    expect(body).toEqual({ result: null, success: false, errors: [{ code: 5409, message: 'Resource already exists' }], messages: [] });
    expect(await control('assets')).toMatchObject({ assets: [{ id: 'tenant/taken', bytes: png.length }] });
  });

  it('refuses a missing or wrong token with 401, another account with 403 and an account id that is none with 404', async () => {
    const refused: Record<string, string>[] = [{}, { authorization: 'Bearer wrong' }, { authorization: DEFAULTS.cloudflareApiToken }];
    for (const headers of refused) {
      const { response, body } = await post({ file: png }, headers);
      expect(response.status).toBe(401);
      expect(body).toEqual({ result: null, success: false, errors: [{ code: 10000, message: 'Authentication error' }], messages: [] });
    }
    const other = await post({ file: png }, TOKEN, 'ffffffffffffffffffffffffffffffff');
    expect(other.response.status).toBe(403);
    expect(other.body.errors).toEqual([{ code: 10000, message: 'Authentication error' }]);
    const invalid = await post({ file: png }, TOKEN, 'hoist');
    expect(invalid.response.status).toBe(404);
    expect(invalid.body.errors.map((error) => error.code)).toEqual([7003, 7000]);
    const unknown = await fetch(`${emulator.url}/client/v4/accounts/${DEFAULTS.cloudflareAccountId}/images/v2/stats`, { headers: TOKEN });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Envelope).errors.map((error) => error.code)).toEqual([7003, 7000]);
    expect(await control('assets')).toEqual({ assets: [] });
  });

  it.each([
    ['an unknown field', { file: png, tags: 'a' }, /unknown field tags/],
    ['metadata that is not a JSON object', { file: png, metadata: '[1]' }, /metadata must be a JSON object/],
    ['metadata over 1,024 bytes', { file: png, metadata: JSON.stringify({ note: 'x'.repeat(1100) }) }, /metadata must not exceed 1024 bytes/],
    ['a UUID as custom id', { file: png, id: '0c1d9d5e-6f8a-4b3c-9d2e-1f0a9b8c7d6e' }, /must not be a UUID/],
    ['a custom id ending with /', { file: png, id: 'tenant/a/' }, /must not start or end with a \//],
    ['a custom id of 1,025 characters', { file: png, id: 'a'.repeat(1025) }, /at most 1024 characters/],
    ['signed URLs for a custom id', { file: png, id: 'tenant/private', requireSignedURLs: 'true' }, /cannot require signed URLs/],
    ['requireSignedURLs that is no boolean', { file: png, requireSignedURLs: 'yes' }, /requireSignedURLs must be true or false/],
    ['no file', { id: 'tenant/none' }, /a file or a url is required/],
  ])('refuses %s with 400 and code 5400', async (_case, fields, message) => {
    const { response, body } = await post(fields);
    expect(response.status).toBe(400);
    expect(body.success).toBe(false);
    expect(body.errors[0]?.code).toBe(5400);
    expect(body.errors[0]?.message).toMatch(message);
  });

  it('refuses a file over 10 MB with 413 and a format it does not store with 415', async () => {
    const big = Buffer.concat([png, Buffer.alloc(10_000_001 - png.length)]);
    const tooLarge = await post({ file: big });
    expect(tooLarge.response.status).toBe(413);
    expect(tooLarge.body.errors[0]?.code).toBe(5413);
    const atLimit = await post({ file: Buffer.concat([png, Buffer.alloc(10_000_000 - png.length)]) });
    expect(atLimit.response.status).toBe(200);
    const pdf = await post({ file: Buffer.from('%PDF-1.4\n%%EOF\n') });
    expect(pdf.response.status).toBe(415);
    expect(pdf.body.errors[0]?.code).toBe(5415);
  });

  it('gets and deletes an image by its id percent-encoded, and answers 404 once it is gone', async () => {
    await post({ file: png, id: 'tenant/a b' });
    const path = `${api}/${encodeURIComponent('tenant/a b')}`;
    const got = await fetch(path, { headers: TOKEN });
    expect(((await got.json()) as Envelope).result).toMatchObject({ id: 'tenant/a b', variants: [expect.stringMatching(/\/tenant\/a%20b\/public$/)] });
    const deleted = await fetch(path, { method: 'DELETE', headers: TOKEN });
    expect(await deleted.json()).toEqual({ result: {}, success: true, errors: [], messages: [] });
    const again = await fetch(path, { method: 'DELETE', headers: TOKEN });
    expect(again.status).toBe(404);
    expect(((await again.json()) as Envelope).errors).toEqual([{ code: 5404, message: 'Image not found' }]);
    expect((await fetch(path, { method: 'DELETE' })).status).toBe(401);
  });
});

describe('Cloudflare Images rate limits and faults', () => {
  it("answers a scripted rate limit with 429, Retry-After, the Ratelimit fields and code 971, whatever status was scripted", async () => {
    await putFaults({ script: [{ kind: 'rate_limit', status: 420, resetInSeconds: 30, limit: 3600 }] });
    const { response, body } = await post({ file: png });
    expect(response.status).toBe(429);
    expect(response.headers.get('retry-after')).toBe('30');
    expect(response.headers.get('ratelimit')).toBe('"default";r=0;t=30');
    expect(response.headers.get('ratelimit-policy')).toBe('"default";q=3600;w=3600');
    expect(body).toEqual({ result: null, success: false, errors: [{ code: 971, message: 'Please wait and consider throttling your request speed' }], messages: [] });
    expect((await post({ file: png })).response.status).toBe(200);
  });

  it('states the limiter on every answer and refuses what is over it with a 429', async () => {
    // Retried on a fresh window: a window already partly used by a slow machine would refuse the first request.
    let statuses: number[] = [];
    for (let attempt = 0; attempt < 3 && !(statuses[0] === 200 && statuses[1] === 429); attempt += 1) {
      await putFaults({ rateLimitPerSecond: 1 });
      const first = await post({ file: png });
      expect(first.response.headers.get('ratelimit-policy')).toBe('"default";q=3600;w=3600');
      expect(first.response.headers.get('ratelimit')).toMatch(/^"default";r=\d+;t=\d+$/);
      const second = await post({ file: png });
      statuses = [first.response.status, second.response.status];
      if (second.response.status === 429) expect(Number(second.response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses).toEqual([200, 429]);
  });

  it("answers a scripted error in Cloudflare's shape and counts it in its own stats", async () => {
    await putFaults({ script: [{ kind: 'error', status: 503 }] });
    const { response, body } = await post({ file: png });
    expect(response.status).toBe(503);
    expect(body.errors).toEqual([{ code: 5503, message: 'Service Unavailable' }]);
    expect(await control('stats')).toEqual({ requests: 1, byStatus: { '503': 1 }, uploads: 0 });
    // The Cloudinary side's stats and faults are apart.
    expect(await (await fetch(`${emulator.url}/__emulator/stats`)).json()).toMatchObject({ requests: 0 });
  });
});

describe('Cloudflare Images control routes', () => {
  it('list and clear the images, read and reset the stats and the faults', async () => {
    await post({ file: png, id: 'tenant/listed', metadata: '{"k":"v"}' });
    expect(await control('assets')).toMatchObject({ assets: [{ id: 'tenant/listed', bytes: png.length, content_type: 'image/png', meta: { k: 'v' }, require_signed_urls: false }] });
    expect(await control('stats')).toEqual({ requests: 1, byStatus: { '200': 1 }, uploads: 1 });
    expect(await control('assets', { method: 'DELETE' })).toEqual({ deleted: 1 });
    expect(await putFaults({ latencyMs: 5 })).toMatchObject({ latencyMs: 5, script: [] });
    expect(await control('faults')).toMatchObject({ latencyMs: 5 });
    expect(await control('faults', { method: 'DELETE' })).toMatchObject({ latencyMs: 0 });
    expect(await control('stats', { method: 'DELETE' })).toEqual({ requests: 0, byStatus: {}, uploads: 0 });
    const refused = await fetch(`${emulator.url}/__emulator/cloudflare/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{"nonsense":1}' });
    expect(refused.status).toBe(400);
  });
});
