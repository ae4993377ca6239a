import { Writable } from 'node:stream';
import { newUploadId, type UploadListQuery, type Upload } from '@hoist/core';
import { KyselyUploadRepository } from '@hoist/db';
import { pinoOptions } from '@hoist/logger';
import { BullJobQueue, createRedis } from '@hoist/queue';
import { sql } from 'kysely';
import { S3TempStorage } from '@hoist/temp-storage-s3';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';

// A bug (an error nobody expected) is a 500 with no internals in the answer, logged with its stack;
// only a dependency that cannot be reached is a 503. A 503 tells clients and on-call to wait for a
// dependency, which never helps with a bug.

const { db } = useTestDatabase();

/** A repository whose list query is wrong: Postgres answers it with an error (division by zero), as a bug would make it. */
class BrokenListRepository extends KyselyUploadRepository {
  override async list(_query: UploadListQuery): Promise<Upload[]> {
    await sql`select 1 / 0`.execute(db);
    return [];
  }
}

function capturedLogger() {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { lines, logger: pino(pinoOptions({ name: 'api-test', level: 'info', format: 'json' }), sink) };
}

describe('unexpected errors', () => {
  it('answers a query Postgres refuses with 500 internal-error, without internals, and logs it', async () => {
    const { lines, logger } = capturedLogger();
    const app = await buildApp(testAppDeps(db, { uploads: new BrokenListRepository(db), logger }));
    const response = await app.inject({ method: 'GET', url: '/v1/uploads' });
    await app.close();
    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:internal-error', status: 500 });
    expect(response.body).not.toMatch(/division|unavailable/i);
    const logged = lines.map((line) => JSON.parse(line) as { level: number; reqId?: string; err?: { message?: string; stack?: string } });
    expect(logged.some((line) => line.level >= 50 && /division by zero/.test(line.err?.message ?? '') && line.err?.stack)).toBe(true);
    // The answer carries the request id, which finds the logged error: what a client quotes in a report.
    const { requestId } = response.json<{ requestId?: string }>();
    expect(requestId).toEqual(expect.any(String));
    expect(logged.some((line) => line.level >= 50 && line.reqId === requestId && /division by zero/.test(line.err?.message ?? ''))).toBe(true);
  });

  it('still answers 503 when the job queue cannot be reached', async () => {
    const dead = createRedis('redis://127.0.0.1:1', 'producer', { retryStrategy: () => null });
    const queue = new BullJobQueue({ connection: dead, prefix: 'unused', attempts: 1, enqueueTimeoutMs: 500 });
    const uploads = new KyselyUploadRepository(db);
    const id = newUploadId();
    await uploads.create({ id, tenantId: 'default', filename: 'a.png', bytes: 1, contentType: 'image/png', sha256: 'd'.repeat(64), storageKey: id, publicId: id, provider: 'cloudinary', tags: [] });
    const app = await buildApp(testAppDeps(db, { uploads, queue }));
    const response = await app.inject({ method: 'POST', url: `/v1/uploads/${id}/cancel` });
    await app.close();
    await queue.close().catch(() => undefined);
    dead.disconnect();
    expect(response.statusCode, response.body).toBe(503);
    expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:service-unavailable' });
  });

  it('answers 503, recording nothing, when temp storage (an object store) cannot be reached', async () => {
    const storage = new S3TempStorage({ bucket: 'hoist-temp', endpoint: 'http://127.0.0.1:1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
    const app = await buildApp(testAppDeps(db, { storage }));
    const { payload, headers } = await multipartBody([{ name: 'file', file: makePng(4, 4), filename: 'a.png', type: 'image/png' }]);
    const count = async () => (await app.inject({ method: 'GET', url: '/v1/uploads' })).json<{ uploads: unknown[] }>().uploads.length;
    const before = await count();
    const response = await app.inject({ method: 'POST', url: '/v1/uploads', payload, headers });
    const after = await count();
    await app.close();
    expect(response.statusCode, response.body).toBe(503);
    expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
    expect(response.json()).toMatchObject({ type: 'urn:hoist:problem:service-unavailable', detail: 'Temporary storage is unavailable; try again shortly.' });
    expect(after).toBe(before);
  });
});
