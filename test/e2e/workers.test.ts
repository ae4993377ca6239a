import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

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
    const ours = assets.filter((asset) => accepted.some((a) => a.body.id === asset.public_id));
    expect(ours).toHaveLength(12);
    expect(ours.every((asset) => asset.writes === 1)).toBe(true);
    // Both workers took part.
    for (const worker of stack.workers) expect(worker.output.some((line) => line.includes('upload succeeded'))).toBe(true);
  }, 60_000);

  it('exit 0 on SIGTERM after finishing in-flight work', async () => {
    await stack.setFaults({ latencyMs: 800 });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    const results = await Promise.all(stack.workers.map((worker) => worker.stop(15_000)));
    expect(results.every((r) => r.code === 0)).toBe(true);
    // Whatever was in flight either finished or was released; a fresh worker completes the rest.
    await stack.setFaults({ latencyMs: 0 });
    await stack.addWorker();
    const upload = await pollUntilSettled(stack.apiUrl, accepted.body.id);
    expect(upload.status).toBe('succeeded');
  }, 60_000);
});
