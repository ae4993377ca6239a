import { Readable } from 'node:stream';
import { enqueueFairly, newUploadId, ProviderRoster } from '@hoist/core';
import { KyselyUploadRepository } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { BullJobQueue, createRedis } from '@hoist/queue';
import { MemoryTempStorage } from '@hoist/core/memory';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../../test/support/hooks.js';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { ScriptedProvider } from '../../../test/support/scripted-provider.js';
import { waitFor } from '../../../test/support/wait.js';
import { buildWorker } from './worker.js';

// A tenant with a big backlog must not starve a tenant who sends a few files after it.

const logger = createLogger({ name: 'fairness-test', level: 'silent', format: 'json' });
const { db } = useTestDatabase();

beforeAll(async () => {
  await sql`insert into tenant (id) values ('busy'), ('small')`.execute(db);
});

describe('fair scheduling between tenants', () => {
  it("serves a late tenant's uploads among the first, not after another tenant's whole backlog", async () => {
    const { prefix, redisUrl, clear } = createQueuePrefix();
    const producer = createRedis(redisUrl, 'producer');
    const connection = createRedis(redisUrl, 'worker');
    const uploads = new KyselyUploadRepository(db);
    const storage = new MemoryTempStorage();
    const provider = new ScriptedProvider();
    const queue = new BullJobQueue({ connection: producer, prefix, attempts: 3 });
    const accept = async (tenantId: string) => {
      const { key, bytes } = await storage.write(Readable.from([Buffer.from(`bytes of ${tenantId}`)]));
      const id = newUploadId();
      const upload = await uploads.create({ id, tenantId, filename: 'a.png', bytes, contentType: 'image/png', sha256: 'c'.repeat(64), storageKey: key, publicId: `${tenantId}/${id}`, provider: 'scripted', tags: [] });
      await enqueueFairly({ uploads, queue }, upload);
      return upload;
    };
    try {
      // The busy tenant's backlog is all queued before the small tenant sends anything.
      for (let i = 0; i < 30; i++) await accept('busy');
      const small = [await accept('small'), await accept('small'), await accept('small')];

      // One worker, one job at a time: the order of provider calls is the schedule.
      const worker = buildWorker({ uploads, storage, providers: ProviderRoster.of(provider), logger, connection, prefix, concurrency: 1, retry: { baseMs: 10, maxMs: 40 }, rateLimitFallbackMs: 300 });
      void worker.run();
      await waitFor(() => Promise.resolve(provider.assets.size === 33 ? true : undefined), { timeoutMs: 20_000 });
      await worker.close(5_000);

      const order = [...provider.assets.keys()];
      const positions = small.map((upload) => order.indexOf(upload.publicId));
      // Interleaved with the busy tenant's first three or so, instead of at positions 30–32 (FIFO).
      expect(Math.max(...positions)).toBeLessThan(8);
    } finally {
      await queue.close();
      producer.disconnect();
      connection.disconnect();
      await clear();
    }
  });
});
