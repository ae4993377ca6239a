import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpload, pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

describe('several workers', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({ workers: 2 });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('share the queue and write each upload exactly once', async () => {
    await stack.setFaults({ latencyMs: 50 });
    const files = ['logo.png', 'photo.jpg', 'document.pdf'];
    const accepted = await Promise.all(Array.from({ length: 12 }, (_, i) => uploadFile(stack.apiUrl, fixturePath(files[i % 3]!))));
    const settled = await Promise.all(accepted.map((a) => pollUntilSettled(stack.apiUrl, a.body.id)));
    expect(settled.every((u) => u.status === 'succeeded')).toBe(true);

    const { assets } = (await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string; writes: number }> };
    const ours = assets.filter((asset) => accepted.some((a) => `default/${a.body.id}` === asset.public_id));
    expect(ours).toHaveLength(12);
    expect(ours.every((asset) => asset.writes === 1)).toBe(true);
    // Both workers took part.
    // (Log lines are written asynchronously, up to LOG_FLUSH_INTERVAL_MS after the event.)
    for (const worker of stack.workers) await worker.waitForOutput(/upload succeeded/, 5_000);
  }, 60_000);

  it('exit 0 on SIGTERM after finishing in-flight work', async () => {
    await stack.setFaults({ latencyMs: 1_500 });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    await waitFor(async () => ((await getUpload(stack.apiUrl, accepted.body.id)).status === 'processing' ? true : undefined), { what: 'processing' });
    const results = await Promise.all(stack.workers.map((worker) => worker.stop(15_000)));
    expect(results.map((r) => r.code)).toEqual([0, 0]);
    // No worker is left, so only the one that was uploading can have finished it, before exiting.
    expect(await getUpload(stack.apiUrl, accepted.body.id)).toMatchObject({ status: 'succeeded', attempts: 1 });
  }, 60_000);
});
