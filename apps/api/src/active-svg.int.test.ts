import { MemoryTempStorage } from '@hoist/core/memory';
import type { FastifyInstance } from 'fastify';
import { describe, expect, it } from 'vitest';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { testAppDeps } from './test-support/app-deps.js';
import { useTestApp } from './test-support/use-test-app.js';

const SVG_NS = 'xmlns="http://www.w3.org/2000/svg"';
const plainSvg = Buffer.from(`<?xml version="1.0"?>\n<svg ${SVG_NS} width="8" height="8"><rect width="8" height="8" fill="teal"/><text x="1" y="7">hi</text></svg>`);
// The handler sits far past the sniffed head (4100 bytes) and past the first multipart chunks.
const activeSvg = Buffer.from(`<svg ${SVG_NS}>${'<rect width="1" height="1"/>'.repeat(8_000)}<rect onclick="alert(document.cookie)"/></svg>`);

const { db } = useTestDatabase();
const storage = new MemoryTempStorage();
const base = { storage, allowedContentTypes: ['image/png', 'image/svg+xml'] };
/** ALLOW_ACTIVE_SVG unset (false). */
const app = useTestApp(() => testAppDeps(db, base));
/** ALLOW_ACTIVE_SVG=true. */
const permissive = useTestApp(() => testAppDeps(db, { ...base, allowActiveSvg: true }));

async function post(target: FastifyInstance, parts: Parameters<typeof multipartBody>[0]) {
  const { payload, headers } = await multipartBody(parts);
  return target.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
}

async function storedObjects(): Promise<number> {
  let count = 0;
  for await (const _ of storage.list({ olderThan: new Date(Date.now() + 60_000) })) count += 1;
  return count;
}

describe('active SVG', () => {
  it('refuses an SVG with an event handler with 415 problem+json naming the reason, keeping nothing', async () => {
    const before = await storedObjects();
    const response = await post(app, [{ name: 'file', file: activeSvg, filename: 'logo.svg', type: 'image/svg+xml' }]);
    expect(response.statusCode).toBe(415);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({
      type: 'urn:hoist:problem:active-svg',
      status: 415,
      detectedType: 'image/svg+xml',
      reason: 'event-handler',
      detail: expect.stringMatching(/event-handler attribute \(onclick\)/),
    });
    expect(await storedObjects()).toBe(before);
    expect(await db.selectFrom('upload').select('id').where('filename', '=', 'logo.svg').execute()).toEqual([]);
  });

  it('keeps accepting plain SVGs', async () => {
    const response = await post(app, [{ name: 'file', file: plainSvg, filename: 'plain.svg' }]);
    expect(response.statusCode).toBe(202);
  });

  it('refuses an active SVG in its own entry of a "files" request and accepts the files around it', async () => {
    const response = await post(app, [
      { name: 'files', file: plainSvg, filename: 'a.svg' },
      { name: 'files', file: activeSvg, filename: 'b.svg' },
      { name: 'files', file: plainSvg, filename: 'c.svg' },
    ]);
    expect(response.statusCode).toBe(202);
    const { uploads } = response.json<{ uploads: Array<Record<string, unknown>> }>();
    expect(uploads).toHaveLength(3);
    expect(uploads[0]).toMatchObject({ status: 'queued' });
    expect(uploads[1]).toMatchObject({ filename: 'b.svg', error: { type: 'urn:hoist:problem:active-svg', status: 415, reason: 'event-handler' } });
    expect(uploads[2]).toMatchObject({ status: 'queued' });
  });

  it('accepts an active SVG when ALLOW_ACTIVE_SVG=true', async () => {
    const response = await post(permissive, [{ name: 'file', file: activeSvg, filename: 'allowed.svg' }]);
    expect(response.statusCode).toBe(202);
  });
});
