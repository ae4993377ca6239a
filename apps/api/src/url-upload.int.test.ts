import { KyselyUploadRepository } from '@hoist/db';
import { describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

// POST /v1/uploads with a JSON body: the upload is recorded at once, to be fetched by a worker.

const { db } = useTestDatabase();
const uploads = new KyselyUploadRepository(db);
const app = useTestApp(() => testAppDeps(db, { uploads }));

const post = (payload: unknown, headers: Record<string, string> = {}) => app.inject({ method: 'POST', url: '/v1/uploads', payload: payload as object, headers });

describe('upload from a URL', () => {
  it('records the URL and the options given as JSON values, with no bytes yet', async () => {
    const accepted = await post({
      url: 'https://media.example.com/photos/beach%20day.jpg?size=large',
      folder: 'imports',
      tags: ['summer', 'beach'],
      metadata: { camera_model: 'X100', iso: 200 },
      eager: ['thumbnail'],
      resourceType: 'image',
    });
    expect(accepted.statusCode).toBe(202);
    const { id } = accepted.json<{ id: string }>();
    expect(await uploads.find(id)).toMatchObject({
      status: 'queued',
      sourceUrl: 'https://media.example.com/photos/beach%20day.jpg?size=large',
      filename: 'beach day.jpg',
      publicId: `default/imports/${id}`,
      tags: ['summer', 'beach'],
      metadata: { camera_model: 'X100', iso: 200 },
      eager: ['thumbnail'],
      resourceType: 'image',
      bytes: null,
      sha256: null,
    });
  });

  it('replays an Idempotency-Key for the same request and refuses it for another', async () => {
    const headers = { 'idempotency-key': 'url-import-42' };
    const first = await post({ url: 'https://media.example.com/a.png' }, headers);
    const again = await post({ url: 'https://media.example.com/a.png' }, headers);
    expect(first.statusCode).toBe(202);
    expect(again.statusCode).toBe(200);
    expect(again.json<{ id: string }>().id).toBe(first.json<{ id: string }>().id);
    const other = await post({ url: 'https://media.example.com/b.png' }, headers);
    expect(other.statusCode).toBe(422);
    expect(other.json()).toMatchObject({ type: 'urn:hoist:problem:idempotency-key-reused' });
  });

  it('refuses options that make no sense for a URL, and unknown members', async () => {
    for (const body of [
      { url: 'https://media.example.com/a.png', dedupe: 'true' },
      { url: 'https://media.example.com/a.png', colour: 'red' },
      { url: 'https://media.example.com/a.png', tags: ['a,b'] },
      // Taken as sent, never coerced: a number is not a tag, and metadata values are flat.
      { url: 'https://media.example.com/a.png', tags: 5 },
      { url: 'https://media.example.com/a.png', metadata: { nested: { a: 1 } } },
      { url: 42 },
      // 250 characters is a valid publicId, but not once under the tenant's folder (`default/`).
      { url: 'https://media.example.com/a.png', publicId: 'p'.repeat(250) },
    ]) {
      const refused = await post(body);
      expect(refused.statusCode, JSON.stringify(body)).toBe(400);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
    }
  });

  it.each([
    ['decimal IPv4', 'http://2130706433/a.png'],
    ['IPv4-mapped IPv6', 'http://[::ffff:127.0.0.1]/a.png'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['credentials', 'https://user:pass@media.example.com/a.png'],
    ['a port outside the web ones', 'http://media.example.com:6379/'],
  ])('refuses at submit time a URL with %s (422, nothing recorded)', async (_name, url) => {
    const before = await db.selectFrom('upload').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    const refused = await post({ url });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ type: 'urn:hoist:problem:url-not-allowed' });
    const after = await db.selectFrom('upload').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
    expect(after.n).toBe(before.n);
  });
});
