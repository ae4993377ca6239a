import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upload } from 'tus-js-client';
import { getUpload, pollUntilSettled } from '../support/api-client.js';
import { pngHead } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

// Resumable ingest (tus) through the real processes: an upload started on one API process,
// interrupted mid-way and finished through another, then sent to the provider by a worker.
// (CI size: 24 MB in 1 MB PATCHes; the 200 MB run is the same test with SIZE raised.)

const MB = 1_000_000;
const SIZE = Number(process.env.HOIST_TUS_E2E_BYTES ?? 24 * MB);
const CHUNK = 1 * MB;

describe('tus, end to end, across API processes', () => {
  let stack: Stack;
  let secondApi: string;

  beforeAll(async () => {
    stack = await Stack.start({ workerEnv: { MAX_UPLOAD_BYTES: String(SIZE + MB) } });
    secondApi = await stack.addApi();
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('resumes through a different API process an upload interrupted mid-way; the provider holds the same bytes', async () => {
    const head = pngHead(SIZE);
    const original = Buffer.concat([head, randomBytes(SIZE - head.length)]);

    // First half, through the first API process; the client gives up mid-way (a dropped connection).
    const location = await new Promise<string>((resolve, reject) => {
      const upload: Upload = new Upload(original, {
        endpoint: `${stack.apiUrl}/v1/tus`,
        metadata: { filename: 'large.png', tags: 'tus' },
        chunkSize: CHUNK,
        retryDelays: [],
        onError: reject,
        onSuccess: () => reject(new Error('finished before it could be interrupted')),
        onChunkComplete: (_chunk, sent) => {
          if (sent < SIZE / 2) return;
          void upload.abort().then(() => resolve(new URL(upload.url!).pathname), reject);
        },
      });
      upload.start();
    });
    const id = location.split('/').pop()!;
    expect(location).toBe(`/v1/tus/${id}`);

    // The other process knows the upload, and how far it got.
    expect(await getUpload(secondApi, id)).toMatchObject({ id, status: 'receiving' });
    const head2 = await fetch(`${secondApi}${location}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
    const offset = Number(head2.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(SIZE / 2);
    expect(offset).toBeLessThan(SIZE);

    // The rest, through the second process.
    await new Promise<void>((resolve, reject) => {
      const upload = new Upload(original, { uploadUrl: `${secondApi}${location}`, chunkSize: CHUNK, retryDelays: [], onError: reject, onSuccess: () => resolve() });
      upload.start();
    });

    const settled = await pollUntilSettled(secondApi, id, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });
    expect(settled.status, stack.logs()).toBe('succeeded');
    expect(settled.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    const served = Buffer.from(await (await fetch(settled.result!.secureUrl)).arrayBuffer());
    expect(served.length).toBe(SIZE);
    expect(createHash('sha256').update(served).digest('hex')).toBe(settled.sha256);
  }, 120_000);
});
