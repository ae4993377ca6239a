import { Readable } from 'node:stream';
import {
  newUploadId,
  PermanentProviderError,
  RateLimitedError,
  retryUpload,
  RetryableProviderError,
  StoreUnavailableError,
  type ProcessObserver,
  type TempStorage,
  type Upload,
  type UploadRepository,
  type UploadProvider,
  type UploadStatus,
  ProviderRoster,
} from '@hoist/core';
import { KyselyUploadRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { BullJobQueue, createRedis, rateLimitedForMs, RedisThrottle, type Redis, type UploadWorker } from '@hoist/queue';
import { MemoryTempStorage, MemoryUploadProvider } from '@hoist/core/memory';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { ScriptedProvider } from '../../../test/support/scripted-provider.js';
import { waitFor } from '../../../test/support/wait.js';
import { buildWorker } from './worker.js';

const logger = createLogger({ name: 'worker-test', level: 'silent', format: 'json' });
const { db } = useTestDatabase();
const uploads = new KyselyUploadRepository(db);

interface Harness {
  provider: ScriptedProvider;
  storage: MemoryTempStorage;
  queue: BullJobQueue;
  workers: UploadWorker[];
  /** Starts one more worker on the same queue, e.g. a host joining mid-test. */
  addWorker: () => UploadWorker;
  /** Accepts an upload for `provider` (default: the scripted one). */
  accept: (body?: Uint8Array, provider?: string) => Promise<Upload>;
}

let harness: Harness;
let cleanups: Array<() => Promise<void>> = [];

interface HarnessOptions {
  workers?: number;
  /** Wraps what the workers see, to inject failures. */
  storage?: (storage: MemoryTempStorage) => TempStorage;
  uploads?: (uploads: UploadRepository) => UploadRepository;
  observer?: ProcessObserver;
  /** A second provider beside the scripted one; each then has its own Redis throttle, as in production. */
  second?: UploadProvider;
}

function start(options: HarnessOptions = {}): Harness {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  const producer: Redis = createRedis(redisUrl, 'producer');
  const provider = new ScriptedProvider();
  const storage = new MemoryTempStorage();
  const queue = new BullJobQueue({ connection: producer, prefix, attempts: 3 });
  // Each worker has its own connection, like workers on separate hosts.
  const connections: Redis[] = [];
  const newWorker = () =>
    buildWorker({
      uploads: options.uploads ? options.uploads(uploads) : uploads,
      storage: options.storage ? options.storage(storage) : storage,
      providers: options.second
        ? new ProviderRoster([provider, options.second].map((each) => ({ provider: each, throttle: new RedisThrottle({ redis: producer, prefix, provider: each.name, fallbackPauseMs: 300, logger }) })))
        : ProviderRoster.of(provider),
      logger,
      connection: connections[connections.push(createRedis(redisUrl, 'worker')) - 1]!,
      prefix,
      concurrency: 2,
      retry: { baseMs: 10, maxMs: 40 },
      rateLimitFallbackMs: 300,
      storeRetryMs: 100,
      ...(options.observer ? { observer: options.observer } : {}),
    });
  const workers: UploadWorker[] = [];
  const addWorker = () => {
    const worker = newWorker();
    workers.push(worker);
    void worker.run();
    return worker;
  };
  for (let i = 0; i < (options.workers ?? 1); i++) addWorker();
  const accept = async (body: Uint8Array = Buffer.from('png bytes'), to = 'scripted') => {
    const { key, bytes } = await storage.write(Readable.from([body]));
    const id = newUploadId();
    const upload = await uploads.create({
      id,
      tenantId: 'default',
      filename: 'a.png',
      bytes,
      contentType: 'image/png',
      sha256: 'b'.repeat(64),
      storageKey: key,
      publicId: `tests/${id}`,
      provider: to,
      tags: [],
    });
    await queue.enqueueUpload(id);
    return upload;
  };
  cleanups.push(async () => {
    await Promise.all(workers.map((worker) => worker.close(5_000)));
    await queue.close();
    producer.disconnect();
    for (const connection of connections) connection.disconnect();
    await clear();
  });
  return { provider, storage, queue, workers, addWorker, accept };
}

beforeEach(() => {
  harness = start();
});
afterEach(async () => {
  await Promise.all(cleanups.map((cleanup) => cleanup()));
  cleanups = [];
});

/** An object's methods bound to it, so a test can override one and keep the rest. */
function bind<T extends object>(target: T): T {
  const bound: Record<string, unknown> = {};
  for (const key of Object.getOwnPropertyNames(Object.getPrototypeOf(target))) {
    const value = (target as Record<string, unknown>)[key];
    if (key !== 'constructor' && typeof value === 'function') bound[key] = (value as (...args: unknown[]) => unknown).bind(target);
  }
  return bound as T;
}

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
    expect(await harness.storage.exists(upload.storageKey ?? '')).toBe(false);
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
    expect(await harness.storage.exists(upload.storageKey ?? '')).toBe(false);
    const job = await harness.queue.queue.getJob(upload.id);
    expect(await job?.getState()).toBe('failed');
  });

  it('fails after the last attempt when errors stay transient', async () => {
    // Exactly the three attempts fail: the provider is back by the time of the retry.
    harness.provider.failNext(...Array.from({ length: 3 }, () => new RetryableProviderError('502', { status: 502 })));
    const upload = await harness.accept();
    const done = await settled(upload.id, 'failed');
    expect(done.attempts).toBe(3);
    expect(done.error?.code).toBe('attempts_exhausted');
    expect(harness.provider.calls).toBe(3);
    // Kept for FAILED_UPLOAD_RETENTION_MS, so the upload can be retried once the provider is back.
    expect(await harness.storage.exists(upload.storageKey ?? '')).toBe(true);

    const retried = await retryUpload({ uploads, queue: harness.queue, storage: harness.storage, logger }, upload.id);
    // A worker may already have claimed it again by the time the answer is read.
    expect(retried).toMatchObject({ kind: 'queued', upload: { retryCount: 1, error: null } });
    const succeeded = await settled(upload.id);
    expect(succeeded).toMatchObject({ attempts: 1, retryCount: 1 });
    expect(harness.provider.assets.get(upload.publicId)?.toString()).toBe('png bytes');
    // The bytes go once the success is recorded, a moment after the status reads `succeeded`.
    await waitFor(async () => ((await harness.storage.exists(upload.storageKey ?? '')) ? undefined : true), { timeoutMs: 5_000, what: 'the temp bytes to be deleted' });
  });

  it('refuses to retry a permanently failed file upload, whose bytes are gone', async () => {
    harness.provider.failNext(new PermanentProviderError('Invalid image file', { status: 400 }));
    const upload = await harness.accept();
    await settled(upload.id, 'failed');
    const retried = await retryUpload({ uploads, queue: harness.queue, storage: harness.storage, logger }, upload.id);
    expect(retried).toMatchObject({ kind: 'bytes_gone' });
    expect(await uploads.find(upload.id)).toMatchObject({ status: 'failed', retryCount: 0 });
  });

  it('pauses every worker until the reset time when rate limited, without burning attempts', async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    cleanups = [];
    harness = start({ workers: 2 });
    const resetAt = new Date(Date.now() + 2_500);
    harness.provider.failNext(new RateLimitedError('Rate Limit Exceeded', { status: 420, resetAt }));
    const first = await harness.accept();
    // The pause is longer than the (non-throttling) limiter's own one-second window, so a TTL above
    // that can only be the provider's pause.
    await waitFor(async () => (harness.provider.calls === 1 && (await harness.queue.queue.getRateLimitTtl()) > 1_200 ? true : undefined), {
      what: 'the queue-wide pause',
    });
    const limitedAt = harness.provider.callTimes[0]!;
    expect(limitedAt).toBeGreaterThan(0);
    // A worker that starts during the pause (a new host, a restart) must obey it too.
    harness.addWorker();
    // Uploads arriving during the pause wait for it; none is failed.
    const later = await Promise.all([harness.accept(), harness.accept(), harness.accept()]);
    const accepted = [first, ...later];
    expect((await uploads.find(first.id))?.status).toBe('queued');

    const done = await Promise.all(accepted.map((upload) => settled(upload.id)));
    // Neither worker called the provider again before the reset time.
    const early = harness.provider.callTimes.filter((time) => time > limitedAt && time < resetAt.getTime());
    expect(early).toEqual([]);
    expect(harness.provider.calls).toBe(5);
    // The rate-limited call never counts as an attempt.
    expect(done.map((upload) => upload.attempts)).toEqual([1, 1, 1, 1]);
  });

  it('puts back, without spending attempts, an upload for a provider this worker has no credentials for', async () => {
    const upload = await harness.accept(Buffer.from('x'), 'imagekit');
    const job = await waitFor(
      async () => {
        const found = await harness.queue.queue.getJob(upload.id);
        return found && (await found.getState()) === 'delayed' ? found : undefined;
      },
      { what: 'the job to be put back' },
    );
    expect(job.attemptsMade).toBe(0);
    expect(job.data).toMatchObject({ deferrals: 1 });
    expect(await uploads.find(upload.id)).toMatchObject({ status: 'queued', attempts: 0 });
    expect(harness.provider.calls).toBe(0);
  });

  it("with several providers, holds back only the rate-limited provider's uploads until its reset; the queue never pauses", async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    cleanups = [];
    const other = new MemoryUploadProvider({ name: 'other' });
    harness = start({ workers: 2, second: other });
    const resetAt = new Date(Date.now() + 3_000);
    harness.provider.failNext(new RateLimitedError('Rate Limit Exceeded', { status: 429, resetAt }));
    const limited = await harness.accept();
    await waitFor(() => Promise.resolve(harness.provider.calls === 1 ? true : undefined), { what: 'the rate-limited call' });
    const limitedAt = harness.provider.callTimes[0]!;
    // More for the limited provider, and some for the other one, arriving during its pause.
    const held = await Promise.all([harness.accept(), harness.accept()]);
    const elsewhere = await Promise.all([harness.accept(Buffer.from('a'), 'other'), harness.accept(Buffer.from('b'), 'other'), harness.accept(Buffer.from('c'), 'other')]);
    const done = await Promise.all(elsewhere.map((upload) => settled(upload.id)));
    // The other provider's uploads went through during the pause, on their first attempt.
    expect(Date.now()).toBeLessThan(resetAt.getTime());
    expect(done.map((upload) => [upload.attempts, upload.result?.provider])).toEqual([[1, 'other'], [1, 'other'], [1, 'other']]);
    expect(await rateLimitedForMs(harness.queue.queue)).toBe(0);
    // The limited provider's wait for its reset, and are not called before it; no attempt is spent.
    const finished = await Promise.all([limited, ...held].map((upload) => settled(upload.id)));
    expect(harness.provider.callTimes.filter((time) => time > limitedAt && time < resetAt.getTime())).toEqual([]);
    expect(finished.map((upload) => upload.attempts)).toEqual([1, 1, 1]);
  });

  it('reports each queue-wide pause it imposes, and the pause can be read from the queue while it lasts', async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    cleanups = [];
    const pauses: number[] = [];
    harness = start({ observer: { rateLimitPause: (seconds) => pauses.push(seconds) } });
    expect(await rateLimitedForMs(harness.queue.queue)).toBe(0);
    harness.provider.failNext(new RateLimitedError('Rate Limit Exceeded', { status: 429, resetAt: new Date(Date.now() + 2_000) }));
    const upload = await harness.accept();
    const limitedMs = await waitFor(async () => (pauses.length === 1 ? rateLimitedForMs(harness.queue.queue) : undefined), { what: 'the pause' });
    expect(limitedMs).toBeGreaterThan(1_000);
    // About two seconds until the reset time, plus up to 10 % jitter.
    expect(pauses[0]).toBeGreaterThan(1.5);
    expect(pauses[0]).toBeLessThan(2.3);
    await settled(upload.id);
    // The workers' own (non-throttling) limiter window is not a pause.
    expect(await rateLimitedForMs(harness.queue.queue)).toBe(0);
    expect(pauses).toHaveLength(1);
  });

  it('backs off exponentially when rate limits name no reset time', async () => {
    // Fallback 300 ms: pauses of about 300, 600 and 1200 ms (plus up to 10 % jitter).
    harness.provider.failNext(...Array.from({ length: 3 }, () => new RateLimitedError('Rate Limit Exceeded', { status: 420 })));
    const upload = await harness.accept();
    const done = await settled(upload.id);
    expect(done.attempts).toBe(1);
    const gaps = harness.provider.callTimes.slice(1).map((time, i) => time - harness.provider.callTimes[i]!);
    expect(gaps).toHaveLength(3);
    expect(gaps[0]).toBeGreaterThanOrEqual(280);
    expect(gaps[1]).toBeGreaterThanOrEqual(570);
    expect(gaps[2]).toBeGreaterThanOrEqual(1_150);
  });

  it('does not spend attempts while the database is unreachable, and succeeds when it returns', async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    cleanups = [];
    // More outages than the job has attempts: it can only succeed if none of them spent one.
    let outages = 5;
    harness = start({
      uploads: (real) =>
        Object.assign(bind(real), {
          claim: (id: string) => (outages-- > 0 ? Promise.reject(new StoreUnavailableError(new Error('ECONNREFUSED'))) : real.claim(id)),
        }),
    });
    const upload = await harness.accept();
    const done = await settled(upload.id);
    expect(outages).toBeLessThan(0);
    expect(done.attempts).toBe(1);
    const job = await harness.queue.queue.getJob(upload.id);
    // BullMQ counts the successful run itself, and nothing else.
    expect(job?.attemptsMade).toBe(1);
  });

  it('does not count a database outage in the middle of a run as a re-claim or an attempt', async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    cleanups = [];
    // The provider has the asset, but recording it fails: more times than MAX_RECLAIMS (5) allows.
    let outages = 7;
    harness = start({
      uploads: (real) =>
        Object.assign(bind(real), {
          markSucceeded: (...args: Parameters<typeof real.markSucceeded>) =>
            outages-- > 0 ? Promise.reject(new StoreUnavailableError(new Error('ECONNREFUSED'))) : real.markSucceeded(...args),
        }),
    });
    const upload = await harness.accept();
    const done = await settled(upload.id);
    expect(outages).toBeLessThan(0);
    expect(done).toMatchObject({ attempts: 1, reclaimCount: 0 });
  });

  it('records failed when BullMQ gives up on a job for a reason the use case never saw', async () => {
    await Promise.all(cleanups.map((cleanup) => cleanup()));
    cleanups = [];
    harness = start({
      storage: (real) => Object.assign(bind(real), { openRead: () => Promise.reject(new Error('disk on fire')) }),
    });
    const upload = await harness.accept();
    const done = await settled(upload.id, 'failed');
    expect(done.error).toEqual({ code: 'attempts_exhausted', message: 'Gave up: disk on fire' });
    // Each run that hit the error spent an attempt; no worker died, so nothing was a re-claim.
    expect(done).toMatchObject({ attempts: 3, reclaimCount: 0 });
    // Ran out of attempts: the bytes stay for a retry (the reconciler's sweep removes them after the retention).
    expect(await harness.storage.exists(upload.storageKey ?? '')).toBe(true);
  });

  it('removes the asset of an upload cancelled while running, when its worker could not (crash, lost database)', async () => {
    const { key, bytes } = await harness.storage.write(Readable.from([Buffer.from('png bytes')]));
    const id = newUploadId();
    await uploads.create({ id, tenantId: 'default', filename: 'a.png', bytes, contentType: 'image/png', sha256: 'b'.repeat(64), storageKey: key, publicId: `default/${id}`, provider: 'scripted', tags: [] });
    // A worker took it on (and may have stored the asset), then the upload was cancelled and that worker died.
    await uploads.claim(id);
    await uploads.markCancelled(id, { from: ['processing'] });
    // The dead worker's job runs again: it finds the upload cancelled, undoes the asset and frees the bytes.
    await harness.queue.enqueueUpload(id);
    await waitFor(async () => ((await harness.queue.queue.getJob(id))?.finishedOn ? true : undefined));
    expect(harness.provider.destroyed).toEqual([`default/${id}`]);
    expect(harness.provider.calls).toBe(0);
    expect(await harness.storage.exists(key)).toBe(false);
    expect((await uploads.find(id))?.status).toBe('cancelled');
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
    await uploads.create({
      id,
      tenantId: upload.tenantId,
      filename: upload.filename,
      bytes: upload.bytes ?? 1,
      contentType: 'image/png',
      sha256: upload.sha256 ?? 'b'.repeat(64),
      storageKey: '00000000-0000-4000-8000-000000000000',
      publicId: id,
      provider: 'scripted',
      tags: [],
    });
    await harness.queue.enqueueUpload(id);
    const done = await settled(id, 'failed');
    expect(done.error?.code).toBe('temp_file_missing');
  });
});
