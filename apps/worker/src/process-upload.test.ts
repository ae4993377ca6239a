import { Readable } from 'node:stream';
import { newUploadId, processUpload, RetryableProviderError, type UploadProvider } from '@hoist/core';
import { createDatabase, KyselyUploadRepository, type Database } from '@hoist/db';
import { createLogger } from '@hoist/logger';
import { MemoryTempStorage } from '@hoist/temp-storage';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase } from '../../../test/support/resources.js';

// processUpload when the upload changes state under a running attempt.

const logger = createLogger({ name: 'process-test', level: 'silent', format: 'json' });
let db: Kysely<Database>;
let drop: () => Promise<void>;
let uploads: KyselyUploadRepository;

beforeAll(async () => {
  const database = await createTestDatabase();
  drop = database.drop;
  db = createDatabase({ url: database.url });
  uploads = new KyselyUploadRepository(db);
});
afterAll(async () => {
  await db.destroy();
  await drop();
});

async function accepted(storage: MemoryTempStorage) {
  const { key, bytes } = await storage.write(Readable.from([Buffer.from('png bytes')]));
  const id = newUploadId();
  await uploads.create({ id, tenantId: 'default', filename: 'a.png', bytes, contentType: 'image/png', sha256: 'b'.repeat(64), storageKey: key, publicId: `default/${id}`, tags: [] });
  return { id, key };
}

/** A provider whose call lets the test change the row mid-call, then fails transiently. */
function failingAfter(change: (uploadId: string) => Promise<unknown>): UploadProvider {
  return {
    name: 'test',
    upload: async (request) => {
      await change(request.uploadId);
      throw new RetryableProviderError('HTTP 503', { status: 503 });
    },
    destroy: () => Promise.resolve(),
  };
}

describe('processUpload under a state change', () => {
  it('keeps the bytes when another run failed the upload for good meanwhile (they are kept for a retry)', async () => {
    const storage = new MemoryTempStorage();
    const { id, key } = await accepted(storage);
    // E.g. this worker's lock lapsed, and the queue gave up on the job while its call was still running.
    const provider = failingAfter((uploadId) => uploads.markFailed(uploadId, { code: 'attempts_exhausted', message: 'Gave up: stalled' }));
    expect(await processUpload({ uploads, storage, provider, logger }, { uploadId: id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect((await uploads.find(id))?.status).toBe('failed');
    expect(await storage.exists(key)).toBe(true);
  });

  it('stops and frees the bytes when the upload was cancelled meanwhile', async () => {
    const storage = new MemoryTempStorage();
    const { id, key } = await accepted(storage);
    const provider = failingAfter((uploadId) => uploads.markCancelled(uploadId, { from: ['processing'] }));
    expect(await processUpload({ uploads, storage, provider, logger }, { uploadId: id, isFinalAttempt: false })).toEqual({ kind: 'skipped' });
    expect((await uploads.find(id))?.status).toBe('cancelled');
    expect(await storage.exists(key)).toBe(false);
  });
});
