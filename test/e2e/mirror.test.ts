import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, postUpload, type UploadView } from '../support/api-client.js';
import { makePng } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

// The mirror drill: every upload bound for Cloudinary is stored on ImageKit too (PROVIDER_MIRROR,
// both copies required). Cloudinary answers 503 to every upload for 30 s in the middle of 200
// uploads: the uploads then wait (retried with backoff) until it is back. Every upload must succeed
// with exactly one copy on each provider, and its result must list both.

const UPLOADS = 200;
const OUTAGE_MS = 30_000;
const POST_EVERY_MS = 200;
const OUTAGE_STARTS_AFTER = 40;

describe('mirror drill', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({
      providers: ['cloudinary', 'imagekit'],
      workers: 2,
      // Retries must outlast the outage: up to 20 attempts, backoff up to 8 s.
      workerEnv: { PROVIDER_MIRROR: 'imagekit', MAX_ATTEMPTS: '20', RETRY_BASE_DELAY_MS: '1000', RETRY_MAX_DELAY_MS: '8000' },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('stores every upload once on each provider through a 30 s outage of the primary', async () => {
    const ids: string[] = [];
    let outageEnded: Promise<void> | undefined;
    for (let i = 0; i < UPLOADS; i++) {
      if (i === OUTAGE_STARTS_AFTER) {
        await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 1_000_000 }] });
        outageEnded = new Promise((resolve) => setTimeout(resolve, OUTAGE_MS)).then(async () => {
          await stack.emulator('/__emulator/faults', { method: 'DELETE' });
        });
      }
      const accepted = await postUpload(stack.apiUrl, makePng(4, 4, i), `mirror-${i}.png`);
      expect(accepted.status).toBe(202);
      ids.push((accepted.body as { id: string }).id);
      await new Promise((resolve) => setTimeout(resolve, POST_EVERY_MS));
    }
    await outageEnded;
    const settled: UploadView[] = [];
    for (const id of ids) {
      settled.push(
        await pollUntilSettled(stack.apiUrl, id, 90_000).catch((error: unknown) => {
          throw new Error(`${String(error)}\n${stack.logs()}`);
        }),
      );
    }
    expect(settled.filter((upload) => upload.status !== 'succeeded').map((upload) => [upload.id, upload.status, upload.error])).toEqual([]);
    for (const upload of settled) {
      expect(upload.result).toMatchObject({ provider: 'cloudinary', mirrors: [{ provider: 'imagekit', publicId: upload.result!.publicId }] });
    }
    const cloudinary = ((await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string }> }).assets;
    const imagekit = ((await (await stack.emulator('/__emulator/imagekit/assets')).json()) as { assets: Array<{ filePath: string }> }).assets;
    const expected = settled.map((upload) => upload.result!.publicId).sort();
    // One copy on each, of every upload, and nothing else: a retried attempt replaced its copies.
    expect(cloudinary.map((asset) => asset.public_id).sort()).toEqual(expected);
    expect(imagekit.map((asset) => asset.filePath.replace(/^\//, '')).sort()).toEqual(expected);
    // The outage was felt: some uploads needed more than one attempt.
    expect(settled.some((upload) => upload.attempts > 1)).toBe(true);
  }, 240_000);
});
