import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryJobQueue } from '@hoist/core/memory';
import { LocalTempStorage } from '@hoist/temp-storage';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { multipartBody } from '../../../test/support/multipart.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { buildApp } from './app.js';
import { testAppDeps } from './test-support/app-deps.js';

const CAP = 5;

const { db } = useTestDatabase();
let app: FastifyInstance;
let base: string;
let directory: string;
/** No worker runs: the test plays the queue giving up on jobs. */
const queue = new MemoryJobQueue();

beforeAll(async () => {
  directory = await mkdtemp(join(tmpdir(), 'hoist-cap-'));
  const storage = await new LocalTempStorage({ directory }).init();
  const { prefix } = createQueuePrefix();
  app = await buildApp(testAppDeps(db, { storage, queue, limits: { requestsPerMinute: 0, maxUnfinishedUploads: CAP, keyPrefix: prefix } }));
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app.close();
  await rm(directory, { recursive: true, force: true });
});
beforeEach(async () => {
  await db.deleteFrom('idempotencyKey').execute();
  await db.deleteFrom('upload').execute();
  await rm(directory, { recursive: true, force: true });
  await new LocalTempStorage({ directory }).init();
});

/** Every object in temp storage, finished or partial. */
async function tempFiles(): Promise<string[]> {
  const entries = await readdir(directory, { recursive: true, withFileTypes: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}

async function upload(parts: Parameters<typeof multipartBody>[0], headers: Record<string, string> = {}): Promise<Response> {
  const body = await multipartBody(parts);
  return fetch(`${base}/v1/uploads`, { method: 'POST', body: body.payload, headers: { ...body.headers, ...headers } });
}

const png = (seed: number) => ({ name: 'file', file: makePng(2, 2, seed), filename: `f${seed}.png` });

describe(`TENANT_MAX_UNFINISHED_UPLOADS (${CAP}) under races`, () => {
  it('accepts exactly the cap of 40 simultaneous single-file uploads; the rest get 429 with Retry-After, and leave no bytes behind', async () => {
    const responses = await Promise.all(Array.from({ length: 40 }, (_, i) => upload([png(i)])));
    const bodies = await Promise.all(responses.map(async (response) => ({ status: response.status, type: response.headers.get('content-type'), retryAfter: response.headers.get('retry-after'), body: (await response.json()) as Record<string, unknown> })));
    expect(bodies.filter((r) => r.status === 202)).toHaveLength(CAP);
    const refused = bodies.filter((r) => r.status !== 202);
    expect(refused).toHaveLength(40 - CAP);
    for (const r of refused) {
      expect(r.status).toBe(429);
      expect(r.type).toMatch(/^application\/problem\+json/);
      expect(Number(r.retryAfter)).toBeGreaterThan(0);
      expect(r.body).toMatchObject({ type: 'urn:hoist:problem:too-many-unfinished-uploads', status: 429, limit: CAP });
    }
    expect(await db.selectFrom('upload').select('id').execute()).toHaveLength(CAP);
    expect(await tempFiles()).toHaveLength(CAP);
  });

  it('accepts the first files of one request up to the cap and refuses each one past it in its own entry', async () => {
    const files = Array.from({ length: 20 }, (_, i) => ({ name: 'files', file: makePng(2, 2, 100 + i), filename: `f${i}.png` }));
    const response = await upload(files);
    expect(response.status).toBe(202);
    const { uploads } = (await response.json()) as { uploads: Array<Record<string, unknown>> };
    expect(uploads).toHaveLength(20);
    // One entry per file, in order: the first CAP accepted, every later one refused with the cap's problem.
    const accepted: unknown = expect.objectContaining({ id: expect.any(String), status: 'queued' });
    expect(uploads.slice(0, CAP)).toEqual(Array.from({ length: CAP }, () => accepted));
    expect(uploads.slice(CAP)).toEqual(
      files.slice(CAP).map((file) => ({ filename: file.filename, error: expect.objectContaining({ type: 'urn:hoist:problem:too-many-unfinished-uploads', status: 429, limit: CAP }) })),
    );
    expect(await db.selectFrom('upload').select('id').execute()).toHaveLength(CAP);
    // The refused files' bytes were deleted; only the accepted uploads' remain.
    expect(await tempFiles()).toHaveLength(CAP);
  });

  it('holds for URL uploads too: 20 simultaneous ones make exactly the cap', async () => {
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        fetch(`${base}/v1/uploads`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ url: `https://media.example.com/${i}.png` }) }),
      ),
    );
    expect(responses.filter((response) => response.status === 202)).toHaveLength(CAP);
    for (const response of responses.filter((r) => r.status !== 202)) {
      expect(response.status).toBe(429);
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
    }
    expect(await db.selectFrom('upload').select('id').execute()).toHaveLength(CAP);
  });

  it('answers a replayed Idempotency-Key with the original upload at the cap, and refuses a new key', async () => {
    const first = await upload([png(1)], { 'idempotency-key': 'k-1' });
    expect(first.status).toBe(202);
    const { id } = (await first.json()) as { id: string };
    for (let i = 1; i < CAP; i++) expect((await upload([png(200 + i)])).status).toBe(202);
    const replay = await upload([png(1)], { 'idempotency-key': 'k-1' });
    expect(replay.status).toBe(200);
    expect(await replay.json()).toMatchObject({ id });
    const fresh = await upload([png(2)], { 'idempotency-key': 'k-2' });
    expect(fresh.status).toBe(429);
    expect(Number(fresh.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await tempFiles()).toHaveLength(CAP);
  });

  it('refuses simultaneous retries past the cap with 429 and Retry-After; the refused uploads stay failed', async () => {
    // As the queue leaves them when it gives up: the rows failed, their jobs finished as failed.
    const failAll = async () => {
      const failed = await db
        .updateTable('upload')
        .set({ status: 'failed', errorCode: 'attempts_exhausted', errorMessage: 'x', completedAt: new Date() })
        .where('status', '!=', 'failed')
        .returning('id')
        .execute();
      for (const { id } of failed) {
        queue.take(id);
        queue.finish(id, 'failed');
      }
    };
    const ids: string[] = [];
    for (const batch of [CAP, 3]) {
      for (let i = 0; i < batch; i++) {
        const response = await upload([png(300 + ids.length)]);
        expect(response.status).toBe(202);
        ids.push(((await response.json()) as { id: string }).id);
      }
      // Failed for good after running out of attempts: their bytes are kept, so they can be retried.
      await failAll();
    }
    // Two places are taken by new uploads, leaving three for eight simultaneous retries.
    expect((await upload([png(400)])).status).toBe(202);
    expect((await upload([png(401)])).status).toBe(202);
    const retries = await Promise.all(ids.map((id) => fetch(`${base}/v1/uploads/${id}/retry`, { method: 'POST' })));
    const statuses = retries.map((response) => response.status);
    expect(statuses.filter((status) => status === 202)).toHaveLength(CAP - 2);
    const refused = retries.filter((response) => response.status !== 202);
    expect(refused.map((response) => response.status)).toEqual(Array.from({ length: 8 - (CAP - 2) }, () => 429));
    for (const response of refused) {
      expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(await response.json()).toMatchObject({ type: 'urn:hoist:problem:too-many-unfinished-uploads' });
    }
    expect(await db.selectFrom('upload').select('id').where('status', 'in', ['queued', 'processing']).execute()).toHaveLength(CAP);
    expect(await db.selectFrom('upload').select('id').where('status', '=', 'failed').execute()).toHaveLength(8 - (CAP - 2));
  });
});
