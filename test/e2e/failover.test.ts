import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, postUpload } from '../support/api-client.js';
import { makePng } from '../support/fixtures.js';
import { postThroughOutage, settleAll } from '../support/outage-drill.js';
import { Stack } from '../support/stack.js';

// The failover drill: Cloudinary (the primary) answers 503 to every upload for 30 s in the middle of
// 200 uploads, with ImageKit as PROVIDER_FAILOVER. Every upload must succeed, each exactly once on
// exactly one provider, and uploads go back to the primary once a probe finds it answering again.

const UPLOADS = 200;
/** The last ones, posted one at a time once the outage is over and a probe is due: they find the primary back. */
const AFTER = 20;
const OUTAGE_MS = 30_000;
const PROBE_MS = 2_000;
/** Uploads are posted at this pace, so the outage falls in the middle of them. */
const POST_EVERY_MS = 200;
const OUTAGE_STARTS_AFTER = 40;

describe('failover drill', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({
      providers: ['cloudinary', 'imagekit'],
      workers: 2,
      workerEnv: { PROVIDER_FAILOVER: 'imagekit', PROVIDER_FAILOVER_AFTER: '3', PROVIDER_FAILOVER_PROBE_MS: String(PROBE_MS), MAX_ATTEMPTS: '8' },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('loses and duplicates nothing while the primary fails for 30 s, and returns to it afterwards', async () => {
    const { ids, outageEnded } = await postThroughOutage(stack, { count: UPLOADS - AFTER, everyMs: POST_EVERY_MS, outageStartsAfter: OUTAGE_STARTS_AFTER, outageMs: OUTAGE_MS, name: 'drill' });
    await outageEnded;
    await new Promise((resolve) => setTimeout(resolve, PROBE_MS + 1_000));
    for (let i = UPLOADS - AFTER; i < UPLOADS; i++) {
      // One at a time, so each worker's next call is its probe of the primary, not one beside it.
      const accepted = await postUpload(stack.apiUrl, makePng(4, 4, i), `drill-${i}.png`);
      ids.push((accepted.body as { id: string }).id);
      await pollUntilSettled(stack.apiUrl, ids.at(-1)!, 30_000);
    }
    const settled = await settleAll(stack, ids, 60_000);
    expect(settled.filter((upload) => upload.status !== 'succeeded').map((upload) => [upload.id, upload.status, upload.error])).toEqual([]);

    // Where the assets are, by public id, on each provider.
    const cloudinary = ((await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string; writes: number }> }).assets;
    const imagekit = ((await (await stack.emulator('/__emulator/imagekit/assets')).json()) as { assets: Array<{ filePath: string; version: number }> }).assets;
    const onCloudinary = new Set(cloudinary.map((asset) => asset.public_id));
    const onImageKit = new Set(imagekit.map((asset) => asset.filePath.replace(/^\//, '')));
    for (const upload of settled) {
      const publicId = upload.result!.publicId;
      // Exactly one provider holds it, the one its result names.
      expect([onCloudinary.has(publicId), onImageKit.has(publicId)]).toEqual([upload.result!.provider === 'cloudinary', upload.result!.provider === 'imagekit']);
    }
    expect(onCloudinary.size + onImageKit.size).toBe(UPLOADS);
    // Each written once: no retry stored a second copy or overwrote one.
    expect(cloudinary.filter((asset) => asset.writes !== 1)).toEqual([]);
    expect(imagekit.filter((asset) => asset.version !== 1)).toEqual([]);
    // The failover carried the outage, and the primary took uploads again after it.
    const landed = settled.map((upload) => upload.result!.provider);
    expect(landed.filter((provider) => provider === 'imagekit').length).toBeGreaterThan(50);
    expect(landed.slice(-AFTER)).toEqual(Array.from({ length: AFTER }, () => 'cloudinary'));
    expect(settled.every((upload) => upload.provider === 'cloudinary')).toBe(true);
  }, 180_000);
});
