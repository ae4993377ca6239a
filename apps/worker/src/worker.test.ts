import { Readable } from 'node:stream';
import {
  newUploadId,
  PermanentProviderError,
  RateLimitedError,
  RetryableProviderError,
  type Upload,
  type UploadStatus,
} from '@hoist/core';
import { createDatabase, KyselyUploadRepository, type Database } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { BullJobQueue, createRedis, type Redis, type UploadWorker } from '@hoist/queue';
import { MemoryTempStorage } from '@hoist/temp-storage';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createQueuePrefix, createTestDatabase } from '../../../test/support/resources.js';
import { ScriptedProvider } from '../../../test/support/scripted-provider.js';
import { waitFor } from '../../../test/support/wait.js';
import { buildWorker } from './worker.js';

const logger = createLogger({ name: 'worker-test', level: 'silent', format: 'json' });
let db: Kysely<Database>;
let dropDb: () => Promise<void>;
let uploads: KyselyUploadRepository;

beforeAll(async () => {
  const test = await createTestDatabase();
  dropDb = test.drop;
  db = createDatabase({ url: test.url });
  uploads = new KyselyUploadRepository(db);
});
afterAll(async () => {
  await db.destroy();
  await dropDb();
});

interface Harness {
  provider: ScriptedProvider;
  storage: MemoryTempStorage;
  queue: BullJobQueue;
  worker: UploadWorker;
  accept: (body?: Uint8Array) => Promise<Upload>;
}

let harness: Harness;
let cleanups: Array<() => Promise<void>> = [];

beforeEach(() => {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  const producer: Redis = createRedis(redisUrl, 'producer');
  const connection: Redis = createRedis(redisUrl, 'worker');
  const provider = new ScriptedProvider();
  const storage = new MemoryTempStorage();
  const queue = new BullJobQueue({ connection: producer, prefix, attempts: 3 });
  const worker = buildWorker({
    uploads,
    storage,
    provider,
    logger,
    connection,
    prefix,
    concurrency: 2,
    retry: { baseMs: 10, maxMs: 40 },
    rateLimitFallbackMs: 300,
  });
  void worker.run();
  const accept = async (body: Uint8Array = Buffer.from('png bytes')) => {
    const { key, bytes } = await storage.write(Readable.from([body]));
    const id = newUploadId();
    const upload = await uploads.create({
      id,
      filename: 'a.png',
      bytes,
      contentType: 'image/png',
      sha256: 'b'.repeat(64),
      storageKey: key,
      publicId: `tests/${id}`,
      tags: [],
    });
    await queue.enqueueUpload(id);
    return upload;
  };
  harness = { provider, storage, queue, worker, accept };
  cleanups.push(async () => {
    await worker.close(5_000);
    await queue.close();
    producer.disconnect();
    connection.disconnect();
    await clear();
  });
});
afterEach(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  cleanups = [];
});

async function settled(id: string, status: UploadStatus = 'succeeded'): Promise<Upload> {
  return waitFor(
    async () => {
      const upload = await uploads.find(id);
      if (upload && (upload.status === 'succeeded' || upload.status === 'failed')) {
        expect(upload.status).toBe(status);
        return upload;
      }
      return undefined;
    },
    { what: `upload ${id} to settle` },
  );
}

describe('upload worker', () => {
  it('uploads, records the result and deletes the temp bytes', async () => {
    const upload = await harness.accept(Buffer.from('the bytes'));
    const done = await settled(upload.id);
    expect(done).toMatchObject({ attempts: 1, error: null, result: { publicId: upload.publicId, bytes: 9 } });
    expect(harness.provider.assets.get(upload.publicId)?.toString()).toBe('the bytes');
    expect(await harness.storage.exists(upload.storageKey)).toBe(false);
  });

  it('retries transient failures with backoff and counts each attempt', async () => {
    harness.provider.failNext(new RetryableProviderError('503', { status: 503 }), new RetryableProviderError('timeout', { status: 499 }));
    const upload = await harness.accept();
    const done = await settled(upload.id);
    expect(done.attempts).toBe(3);
    expect(harness.provider.assets.size).toBe(1);
  });

  it('fails at once on a permanent error, with the provider message and one attempt', async () => {
    harness.provider.failNext(new PermanentProviderError('Invalid Signature 123. String to sign - x.', { status: 401 }));
    const upload = await harness.accept();
    const done = await settled(upload.id, 'failed');
    expect(done.attempts).toBe(1);
    expect(done.error).toEqual({ code: 'provider_rejected', message: 'Invalid Signature 123. String to sign - x.' });
    expect(harness.provider.calls).toBe(1);
    expect(await harness.storage.exists(upload.storageKey)).toBe(false);
    const job = await harness.queue.queue.getJob(upload.id);
    expect(await job?.getState()).toBe('failed');
  });

  it('fails after the last attempt when errors stay transient', async () => {
    harness.provider.failNext(...Array.from({ length: 5 }, () => new RetryableProviderError('502', { status: 502 })));
    const upload = await harness.accept();
    const done = await settled(upload.id, 'failed');
    expect(done.attempts).toBe(3);
    expect(done.error?.code).toBe('attempts_exhausted');
    expect(harness.provider.calls).toBe(3);
    expect(await harness.storage.exists(upload.storageKey)).toBe(false);
  });

  it('pauses the whole queue when rate limited and does not burn attempts', async () => {
    const resetAt = new Date(Date.now() + 400);
    harness.provider.failNext(
      ...Array.from({ length: 4 }, () => new RateLimitedError('Rate Limit Exceeded', { status: 420, resetAt })),
    );
    const upload = await harness.accept();
    const queuedWhileLimited = await waitFor(async () => {
      const ttl = await harness.queue.queue.getRateLimitTtl();
      return ttl > 0 ? uploads.find(upload.id) : undefined;
    });
    expect(queuedWhileLimited?.status).toBe('queued');
    const done = await settled(upload.id);
    // 4 rate-limited calls + 1 success, but only the successful one counts as an attempt.
    expect(harness.provider.calls).toBe(5);
    expect(done.attempts).toBe(1);
  });

  it('treats a second job run for a final upload as a no-op', async () => {
    const upload = await harness.accept();
    await settled(upload.id);
    const job = await harness.queue.queue.getJob(upload.id);
    await job?.remove();
    await harness.queue.enqueueUpload(upload.id);
    await waitFor(async () => ((await harness.queue.queue.getJob(upload.id))?.finishedOn ? true : undefined));
    expect(harness.provider.calls).toBe(1);
    expect((await uploads.find(upload.id))?.attempts).toBe(1);
  });

  it('ends failed, not stuck, when the temp bytes are gone', async () => {
    const upload = await harness.accept();
    // A row whose bytes were never stored stands for bytes lost from temp storage.
    const id = newUploadId();
    await uploads.create({ ...upload, id, publicId: id, storageKey: '00000000-0000-4000-8000-000000000000' });
    await harness.queue.enqueueUpload(id);
    const done = await settled(id, 'failed');
    expect(done.error?.code).toBe('temp_file_missing');
  });
});
