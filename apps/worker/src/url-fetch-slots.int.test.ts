import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { cancelUpload, enqueueFairly, limitFetches, newUploadId, type Upload, ProviderRoster } from '@hoist/core';
import { KyselyUploadRepository } from '@hoist/db';
import { RemoteSourceFetcher } from '@hoist/intake';
import { createLogger } from '@hoist/logger';
import { HoistMetrics } from '@hoist/metrics';
import { BullJobQueue, createRedis, type Redis } from '@hoist/queue';
import type { MinTransferRate } from '@hoist/remote-fetch';
import { MemoryTempStorage } from '@hoist/core/memory';
import { sql } from 'kysely';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makePng } from '../../../test/support/fixtures.js';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { ScriptedProvider } from '../../../test/support/scripted-provider.js';
import { waitFor } from '../../../test/support/wait.js';
import { buildWorker } from './worker.js';

// Noisy neighbours, URL uploads: a tenant whose URL sources send one byte a second must not hold the
// worker slots another tenant's file upload needs, and cancelling its uploads must end the downloads.

const logger = createLogger({ name: 'url-fetch-slots-test', level: process.env.TEST_LOG ?? 'silent', format: 'json' });
const png = makePng(4, 4);
const { db } = useTestDatabase();
let source: Server;
let sourceBase = '';
/** Responses of /drip still open, i.e. downloads in progress. */
const dripping = new Set<ServerResponse>();

beforeAll(async () => {
  await sql`insert into tenant (id) values ('dripper'), ('small')`.execute(db);
  source = createServer((req, res) => {
    if (req.url?.startsWith('/drip')) {
      // A GIF header, then one byte a second, forever: never idle long enough for an idle timeout.
      res.writeHead(200, { 'content-type': 'image/gif' });
      res.write('GIF89a');
      const timer = setInterval(() => res.write('x'), 1_000);
      dripping.add(res);
      res.on('close', () => {
        clearInterval(timer);
        dripping.delete(res);
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'image/png' }).end(png);
  });
  await new Promise<void>((resolve) => source.listen(0, '127.0.0.1', resolve));
  sourceBase = `http://127.0.0.1:${(source.address() as AddressInfo).port}`;
});
afterAll(async () => {
  source.closeAllConnections();
  await new Promise((resolve) => source.close(resolve));
});

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  for (const res of dripping) res.destroy();
});

/** A worker with `concurrency` slots, `fetchSlots` of which may fetch, on a queue of its own. */
function setUp(options: { concurrency: number; fetchSlots: number; minRate?: MinTransferRate }) {
  const { prefix, redisUrl, clear } = createQueuePrefix();
  const producer: Redis = createRedis(redisUrl, 'producer');
  const connection: Redis = createRedis(redisUrl, 'worker');
  const uploads = new KyselyUploadRepository(db);
  const storage = new MemoryTempStorage();
  const provider = new ScriptedProvider();
  const queue = new BullJobQueue({ connection: producer, prefix, attempts: 3 });
  const fetcher = limitFetches(
    new RemoteSourceFetcher({
      storage,
      maxBytes: 1024 * 1024,
      allowedContentTypes: ['image/png', 'image/gif'],
      policy: { allow: [new URL(sourceBase).host] },
      timeoutMs: 120_000,
      minRate: options.minRate,
    }),
    options.fetchSlots,
  );
  const metrics = new HoistMetrics({ service: 'worker', defaultMetrics: false });
  const worker = buildWorker({ uploads, storage, providers: ProviderRoster.of(provider), logger, fetcher, observer: metrics.observer, connection, prefix, concurrency: options.concurrency, retry: { baseMs: 10, maxMs: 40 }, rateLimitFallbackMs: 300 });
  void worker.run();
  cleanups.push(async () => {
    await worker.close(1_000);
    await queue.close();
    producer.disconnect();
    connection.disconnect();
    await clear();
  });
  const fromUrl = async (tenantId: string, path: string): Promise<Upload> => {
    const id = newUploadId();
    const upload = await uploads.create({ id, tenantId, filename: 'remote', publicId: `${tenantId}/${id}`, provider: 'scripted', tags: [], sourceUrl: `${sourceBase}${path}` });
    await enqueueFairly({ uploads, queue }, upload);
    return upload;
  };
  const file = async (tenantId: string): Promise<Upload> => {
    const { key, bytes } = await storage.write(Readable.from([Buffer.alloc(73, 1)]));
    const id = newUploadId();
    const upload = await uploads.create({ id, tenantId, filename: 'small.png', bytes, contentType: 'image/png', sha256: 'c'.repeat(64), storageKey: key, publicId: `${tenantId}/${id}`, provider: 'scripted', tags: [] });
    await enqueueFairly({ uploads, queue }, upload);
    return upload;
  };
  const settled = (id: string, timeoutMs: number) =>
    waitFor(
      async () => {
        const upload = await uploads.find(id);
        return upload && !['queued', 'processing'].includes(upload.status) ? upload : undefined;
      },
      { timeoutMs, what: `upload ${id} to settle` },
    );
  return { uploads, queue, storage, provider, metrics, fromUrl, file, settled };
}

describe('URL fetches and provider uploads share a worker', () => {
  it("serves another tenant's small file within seconds while twelve URL sources drip one byte a second", async () => {
    const { fromUrl, file, settled, metrics } = setUp({ concurrency: 4, fetchSlots: 2 });
    for (let i = 0; i < 12; i++) await fromUrl('dripper', `/drip?n=${i}`);
    // The downloads are under way (as many as the worker lets run) before the small upload arrives.
    await waitFor(() => Promise.resolve(dripping.size >= 2 ? true : undefined), { timeoutMs: 10_000, what: 'downloads to start' });
    await new Promise((resolve) => setTimeout(resolve, 1_500));

    const started = Date.now();
    const small = await file('small');
    expect(await settled(small.id, 5_000)).toMatchObject({ status: 'succeeded' });
    expect(Date.now() - started).toBeLessThan(5_000);
    // Never more downloads at once than the fetch slots; the others wait in the queue, counted.
    expect(dripping.size).toBeLessThanOrEqual(2);
    expect((await metrics.expose()).body).toMatch(/hoist_jobs_deferred_total\{[^}]*reason="fetch_slots_busy"[^}]*\} [1-9]/);
  });

  it('cancelling URL uploads ends their downloads within seconds and frees the fetch slots', async () => {
    const deps = setUp({ concurrency: 4, fetchSlots: 2 });
    const slow: Upload[] = [];
    for (let i = 0; i < 12; i++) slow.push(await deps.fromUrl('dripper', `/drip?n=${i}`));
    await waitFor(() => Promise.resolve(dripping.size >= 2 ? true : undefined), { timeoutMs: 10_000, what: 'downloads to start' });

    const cancelledAt = Date.now();
    for (const upload of slow) expect((await cancelUpload({ ...deps, logger }, upload.id)).kind).toBe('cancelled');
    await waitFor(() => Promise.resolve(dripping.size === 0 ? true : undefined), { timeoutMs: 4_000, what: 'the downloads to be dropped' });
    expect(Date.now() - cancelledAt).toBeLessThan(4_000);

    // The slots are free again: a URL upload from a prompt source is fetched and uploaded at once.
    const prompt = await deps.fromUrl('small', '/photo.png');
    expect(await deps.settled(prompt.id, 5_000)).toMatchObject({ status: 'succeeded', bytes: png.length, contentType: 'image/png', attempts: 1 });
    for (const upload of slow) expect((await deps.uploads.find(upload.id))?.status).toBe('cancelled');
  });

  it('fails a URL upload whose source is slower than the minimum rate, once, with url_fetch_too_slow', async () => {
    const { fromUrl, settled } = setUp({ concurrency: 2, fetchSlots: 1, minRate: { bytesPerSecond: 100, windowMs: 1_000 } });
    const upload = await fromUrl('dripper', '/drip');
    expect(await settled(upload.id, 6_000)).toMatchObject({ status: 'failed', attempts: 1, error: { code: 'url_fetch_too_slow' } });
    await waitFor(() => Promise.resolve(dripping.size === 0 ? true : undefined), { timeoutMs: 2_000, what: 'the download to be dropped' });
  });
});
