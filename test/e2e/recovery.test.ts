import { deleteKeys } from '../support/redis-keys.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';

describe('Redis loses every job mid-run', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await Stack.start({
      workerEnv: { RECONCILE_INTERVAL_MS: '1000', RECONCILE_STALE_AFTER_MS: '1000', WORKER_LOCK_DURATION_MS: '2000' },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('the reconciler rebuilds the queue from Postgres: nothing lost, one asset each', async () => {
    await stack.setFaults({ latencyMs: 400 });
    const files = ['logo.png', 'photo.jpg', 'document.pdf'];
    const accepted = await Promise.all(Array.from({ length: 12 }, (_, i) => uploadFile(stack.apiUrl, fixturePath(files[i % 3]!))));
    expect(accepted.every((a) => a.status === 202)).toBe(true);

    // What FLUSHALL or a failover to an empty replica does to this deployment: every key is gone.
    const deleted = await deleteKeys(stack.env.REDIS_URL!, `${stack.env.QUEUE_PREFIX}:*`);
    expect(deleted).toBeGreaterThan(0);
    await stack.setFaults({ latencyMs: 0 });

    const settled = await Promise.all(accepted.map((a) => pollUntilSettled(stack.apiUrl, a.body.id, 45_000)));
    expect(settled.map((u) => u.status)).toEqual(Array.from({ length: 12 }, () => 'succeeded'));
    // Exactly the twelve public ids, nothing else: a retry can only ever write to its upload's own id.
    const { assets } = (await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string }> };
    expect(assets.map((asset) => asset.public_id).sort()).toEqual(accepted.map((a) => `default/${a.body.id}`).sort());
    expect(await stack.tempFiles()).toEqual([]);
    // It was the reconciler that brought the lost jobs back, and its metric says so.
    // (Log lines are written asynchronously, up to LOG_FLUSH_INTERVAL_MS after the event.)
    await Promise.any(stack.workers.map((worker) => worker.waitForOutput(/re-enqueued/, 5_000)));
    const metrics = await (await fetch(`http://127.0.0.1:${stack.workerMetricsPorts[0]}/metrics`)).text();
    expect(metrics).toMatch(/hoist_reconciler_actions_total\{action="requeued"[^}]*\} [1-9]/);
  }, 60_000);
});
