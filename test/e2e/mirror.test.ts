import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postThroughOutage, settleAll } from '../support/outage-drill.js';
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
    const { ids, outageEnded } = await postThroughOutage(stack, { count: UPLOADS, everyMs: POST_EVERY_MS, outageStartsAfter: OUTAGE_STARTS_AFTER, outageMs: OUTAGE_MS, name: 'mirror' });
    await outageEnded;
    const settled = await settleAll(stack, ids, 90_000);
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
