import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getUpload, pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

describe('a worker killed mid-upload', () => {
  let stack: Stack;
  beforeAll(async () => {
    // Short locks so a dead worker's job is recovered in about two seconds, not thirty.
    stack = await Stack.start({ workerEnv: { WORKER_LOCK_DURATION_MS: '1500' } });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('is recovered by another worker: processing, counted as a re-claim and not as an attempt, then one asset', async () => {
    await stack.setFaults({ latencyMs: 2_500 });
    const accepted = await uploadFile(stack.apiUrl, fixturePath('photo.jpg'));
    const id = accepted.body.id;
    await waitFor(async () => ((await getUpload(stack.apiUrl, id)).status === 'processing' ? true : undefined), { what: 'processing' });
    stack.workers[0]!.kill('SIGKILL');
    await stack.workers[0]!.exited;

    await stack.setFaults({ latencyMs: 0 });
    await stack.addWorker();
    const upload = await pollUntilSettled(stack.apiUrl, id, 30_000);
    expect(upload.status).toBe('succeeded');
    // The killed run was taken over, not retried: a dying worker spends no provider attempt (issue 10).
    // (At least one: under load a live worker may also miss a lock renewal and be taken over.)
    expect(upload.attempts).toBe(1);
    expect(upload.reclaims).toBeGreaterThanOrEqual(1);
    const { assets } = (await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string }> };
    expect(assets.filter((asset) => asset.public_id === `default/${id}`)).toHaveLength(1);
  }, 60_000);
});
