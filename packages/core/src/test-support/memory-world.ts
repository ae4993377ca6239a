import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { acceptUpload } from '../accept-upload.js';
import { singleProviderCatalog } from '../provider-choice.js';
import { ProviderRoster } from '../provider-roster.js';
import { QueueUnavailableError } from '../errors.js';
import type { JobQueue } from '../job-queue.js';
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
  /** What the API knows of the provider (accepting), and the worker has of it (processing, deleting). */
  const catalog = singleProviderCatalog(provider.name, provider.limits);
  const providers = ProviderRoster.of(provider);
  const logger = SILENT_LOGGER;

  /**
   * What the API does with a posted file, through the same use case: bytes into temp storage, then
   * acceptUpload (a queued row, the job enqueued at its fair-share priority). With `enqueue` false
   * the queue is down, so the row stays in the outbox.
   */
  async function accept(upload: { tenantId?: string; publicId?: string; body?: Buffer; enqueue?: boolean } = {}): Promise<Upload> {
    const body = upload.body ?? Buffer.from('the bytes of a small image');
    const { key, bytes } = await storage.write(Readable.from([body]));
    const stored = { storageKey: key, bytes, contentType: 'image/png', sha256: createHash('sha256').update(body).digest('hex') };
    const outcome = await acceptUpload(
      { uploads, queue: upload.enqueue === false ? downQueue(queue) : queue, storage, logger, providers: catalog },
      {
        tenantId: upload.tenantId ?? 'acme',
        source: { kind: 'stored', filename: 'cat.png', stored },
        options: { tags: [], eager: [], dedupe: false, ...(upload.publicId === undefined ? {} : { publicId: upload.publicId }) },
      },
    );
    if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${outcome.kind}`);
    return outcome.upload;
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

  return { uploads, queue, storage, provider, catalog, providers, logger, accept, hasBytes, current };
}

export type MemoryWorld = ReturnType<typeof memoryWorld>;

/** `queue` with Redis down: enqueueing fails as the BullMQ adapter's would. */
export function downQueue(queue: JobQueue): JobQueue {
  return {
    jobState: (id) => queue.jobState(id),
    removeJob: (id) => queue.removeJob(id),
    removeFinishedJob: (id) => queue.removeFinishedJob(id),
    enqueueUpload: () => Promise.reject(new QueueUnavailableError('The job queue is unavailable (test)')),
  };
}
