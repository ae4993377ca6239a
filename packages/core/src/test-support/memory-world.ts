import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { enqueueFairly } from '../fair-share.js';
import { newUploadId } from '../ids.js';
import { MemoryJobQueue, MemoryTempStorage, MemoryUploadProvider, MemoryUploadRepository, SILENT_LOGGER, type MemoryUploadProviderOptions } from '../memory/index.js';
import type { Upload } from '../upload.js';

/**
 * Every port of the upload use cases on its in-memory adapter, and the API's part (accepting an
 * upload) in a few lines, for tests of core that need no Postgres, Redis or network.
 */
export function memoryWorld(options: { provider?: MemoryUploadProviderOptions } = {}) {
  const uploads = new MemoryUploadRepository();
  const queue = new MemoryJobQueue();
  const storage = new MemoryTempStorage();
  const provider = new MemoryUploadProvider(options.provider);
  const logger = SILENT_LOGGER;

  /**
   * What the API does with a posted file: bytes into temp storage, a queued row, the job enqueued at
   * its fair-share priority (unless `enqueue` is false: the queue was down, the row stays in the outbox).
   */
  async function accept(upload: { tenantId?: string; publicId?: string; body?: Buffer; enqueue?: boolean } = {}): Promise<Upload> {
    const body = upload.body ?? Buffer.from('the bytes of a small image');
    const { key, bytes } = await storage.write(Readable.from([body]));
    const id = newUploadId();
    const tenantId = upload.tenantId ?? 'acme';
    const created = await uploads.create({
      id,
      tenantId,
      filename: 'cat.png',
      bytes,
      contentType: 'image/png',
      sha256: createHash('sha256').update(body).digest('hex'),
      storageKey: key,
      publicId: upload.publicId ?? `${tenantId}/${id}`,
      tags: [],
    });
    if (upload.enqueue !== false) {
      await enqueueFairly({ uploads, queue }, created);
      await uploads.markEnqueued(id);
    }
    return created;
  }

  /** True while the upload's bytes are in temp storage. */
  async function hasBytes(upload: Upload): Promise<boolean> {
    return upload.storageKey !== null && (await storage.exists(upload.storageKey));
  }

  /** The upload as it is now (it must exist). */
  async function current(id: string): Promise<Upload> {
    const upload = await uploads.find(id);
    if (!upload) throw new Error(`no upload ${id}`);
    return upload;
  }

  return { uploads, queue, storage, provider, logger, accept, hasBytes, current };
}

export type MemoryWorld = ReturnType<typeof memoryWorld>;
