import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Upload as HoistUpload } from '@hoist/core';
import { SILENT_LOGGER } from '@hoist/core/memory';
import { KyselyUploadRepository } from '@hoist/db';
import { s3ClientConfig, S3TempStorage, S3TusStore } from '@hoist/temp-storage-s3';
import type { FastifyInstance } from 'fastify';
import { Upload } from 'tus-js-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pngHead } from '../../../test/support/fixtures.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { startLocalS3, type LocalS3 } from '../../../test/support/local-s3.js';
import { waitFor } from '../../../test/support/wait.js';
import { buildApp } from './app.js';
import { expireTusUploads } from './routes/tus.js';
import { testAppDeps } from './test-support/app-deps.js';

// tus with S3 temp storage (s3rver): the parts live in the bucket under `<prefix>tus/`, so an upload
// begun on one API process is finished through another that shares nothing else with it.

const BUCKET = 'hoist-tus';
const PREFIX = 'tmp/';
const MiB = 1024 * 1024;
const MAX_BYTES = 16 * MiB;
const { db } = useTestDatabase();
let s3: LocalS3;
let client: S3Client;
let localDir: string;
const apps: FastifyInstance[] = [];
const urls: string[] = [];

function tusStore(expirationMs = 60 * 60_000): S3TusStore {
  return new S3TusStore({ bucket: BUCKET, prefix: `${PREFIX}tus/`, endpoint: s3.endpoint, credentials: s3.credentials, expirationPeriodInMilliseconds: expirationMs });
}
function tempStorage(): S3TempStorage {
  return new S3TempStorage({ bucket: BUCKET, prefix: PREFIX, endpoint: s3.endpoint, credentials: s3.credentials });
}

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
  client = new S3Client(s3ClientConfig({ endpoint: s3.endpoint, credentials: s3.credentials }));
  // Where a file store would put tus parts: the S3 variant must leave it empty.
  localDir = await mkdtemp(join(tmpdir(), 'hoist-tus-s3-test-'));
  // Two API processes: each its own store objects and clients; only the bucket and Postgres are shared.
  for (let i = 0; i < 2; i++) {
    const app = await buildApp(testAppDeps(db, { storage: await tempStorage().init(), maxUploadBytes: MAX_BYTES, tus: { datastore: tusStore() } }));
    await app.listen({ host: '127.0.0.1', port: 0 });
    apps.push(app);
    urls.push(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}`);
  }
});
afterAll(async () => {
  for (const app of apps) await app.close();
  client?.destroy();
  await s3?.stop();
  if (localDir) await rm(localDir, { recursive: true, force: true });
});

async function tusObjects(): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}tus/` }));
  return (page.Contents ?? []).map((object) => object.Key!);
}

async function view(baseUrl: string, id: string): Promise<HoistUpload> {
  const response = await fetch(`${baseUrl}/v1/uploads/${id}`);
  expect(response.status).toBe(200);
  return (await response.json()) as HoistUpload;
}

/** Sends `body` from `offset` (by tus-js-client's HEAD) in `chunkSize` PATCHes; `stopAfter` bytes, then gives up. */
function send(upload: { endpoint?: string; uploadUrl?: string }, body: Buffer, chunkSize: number, stopAfter?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const tus: Upload = new Upload(body, {
      ...upload,
      metadata: { filename: 'big.png' },
      chunkSize,
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve(new URL(tus.url!).pathname),
      onChunkComplete: (_chunk, sent) => {
        if (stopAfter === undefined || sent < stopAfter) return;
        void tus.abort().then(() => resolve(new URL(tus.url!).pathname), reject);
      },
    });
    tus.start();
  });
}

describe('tus on S3 temp storage', () => {
  it('resumes through another API process an upload begun on one; the bytes are identical, and no tus object or local file is left', async () => {
    const [first, second] = urls as [string, string];
    // Over one S3 part (5 MiB) and a tail, in PATCHes smaller than a part: parts and `.part` tails both.
    const size = 7 * MiB + 12_345;
    const head = pngHead(size);
    const original = Buffer.concat([head, randomBytes(size - head.length)]);

    const location = await send({ endpoint: `${first}/v1/tus` }, original, 2 * MiB, 3 * MiB);
    const id = location.split('/').pop()!;
    expect(await tusObjects()).toContain(`${PREFIX}tus/${id}.info`);
    const offset = Number((await fetch(`${second}${location}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } })).headers.get('upload-offset'));
    expect(offset).toBe(4 * MiB);

    await send({ uploadUrl: `${second}${location}` }, original, 2 * MiB);
    const queued = await view(second, id);
    expect(queued).toMatchObject({ status: 'queued', bytes: size, sha256: createHash('sha256').update(original).digest('hex') });

    // The copy in temp storage, as a worker reads it, is the client's file.
    const row = await new KyselyUploadRepository(db).find(id, { tenantId: 'default' });
    const stored: Buffer[] = [];
    for await (const chunk of await tempStorage().openRead(row!.storageKey!)) stored.push(chunk as Buffer);
    expect(Buffer.concat(stored).equals(original)).toBe(true);

    // The tus copy goes once the answer is written.
    await waitFor(async () => ((await tusObjects()).length === 0 ? true : undefined), { timeoutMs: 5_000, what: 'the tus objects to go' });
    expect(await readdir(localDir)).toEqual([]);
  }, 60_000);

  it('keeps tus objects out of temp storage listing (the sweeper never sees them)', async () => {
    const location = await send({ endpoint: `${urls[0]}/v1/tus` }, Buffer.concat([pngHead(MiB), randomBytes(MiB - pngHead(MiB).length)]), 256 * 1024, 256 * 1024);
    const id = location.split('/').pop()!;
    expect((await tusObjects()).length).toBeGreaterThan(0);
    const listed = [];
    for await (const object of tempStorage().list({ olderThan: new Date(Date.now() + 60_000) })) listed.push(object.key);
    expect(listed.filter((key) => key.includes(id) || key.includes('tus'))).toEqual([]);
  });

  it('terminates (DELETE) a receiving upload through the other process: cancelled, and its tus objects gone', async () => {
    const location = await send({ endpoint: `${urls[0]}/v1/tus` }, Buffer.concat([pngHead(MiB), randomBytes(MiB - pngHead(MiB).length)]), 256 * 1024, 256 * 1024);
    const id = location.split('/').pop()!;
    const deleted = await fetch(`${urls[1]}${location}`, { method: 'DELETE', headers: { 'tus-resumable': '1.0.0' } });
    expect(deleted.status).toBe(204);
    expect(await view(urls[1]!, id)).toMatchObject({ status: 'cancelled' });
    expect((await tusObjects()).filter((key) => key.includes(id))).toEqual([]);
  });

  it('expires an abandoned upload: its tus objects are deleted and it ends failed with upload_expired', async () => {
    const location = await send({ endpoint: `${urls[0]}/v1/tus` }, Buffer.concat([pngHead(MiB), randomBytes(MiB - pngHead(MiB).length)]), 256 * 1024, 256 * 1024);
    const id = location.split('/').pop()!;
    expect((await tusObjects()).filter((key) => key.includes(id)).length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 30));
    // A store whose uploads expire after 10 ms, over the same bucket, stands for time passing.
    const failed = await expireTusUploads({ datastore: tusStore(10), uploads: new KyselyUploadRepository(db), logger: SILENT_LOGGER }, 10);
    expect(failed).toBeGreaterThanOrEqual(1);
    expect(await view(urls[0]!, id)).toMatchObject({ status: 'failed', error: { code: 'upload_expired' } });
    expect(await tusObjects()).toEqual([]);
  });
});
