import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, postUpload, type UploadView } from '../support/api-client.js';
import { largePng, makePng, pngHead } from '../support/fixtures.js';
import { UPLOAD_LOG_MESSAGES } from '@hoist/core';
import { HostsStack } from '../support/hosts-stack.js';
import { netHostsUnavailable } from '../support/net-hosts.js';
import { tusUpload } from '../support/tus-client.js';
import { createQueuePrefix, createTestDatabase } from '../support/resources.js';
import { waitFor } from '../support/wait.js';

// Hoist on several hosts of one machine: Linux network namespaces joined by veth pairs to a bridge
// (10.213.47.0/24, nothing routed beyond it). The API alone on one host, a worker on each of two
// others, each host with its own empty temp dir; Postgres and Redis reached by address through
// forwarders, the temp bucket (s3rver) and the emulator on the bridge's address. Needs root and
// `ip netns`; skipped with the reason otherwise.

const MB = 1_000_000;
const LARGE = 30 * MB;
const TUS_SIZE = 3 * MB;
const IN_FLIGHT = 16;

const unavailable = await netHostsUnavailable();
const TITLE = 'several hosts on one machine (network namespaces)';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');

describe.skipIf(unavailable !== undefined)(unavailable ? `${TITLE} — SKIPPED: ${unavailable}` : TITLE, () => {
  let stack: HostsStack;
  let cleanups: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    const database = await createTestDatabase();
    const queue = createQueuePrefix();
    cleanups = [queue.clear, database.drop];
    stack = await HostsStack.start({
      databaseUrl: database.url,
      redisUrl: queue.redisUrl,
      queuePrefix: queue.prefix,
      env: {
        MAX_ATTEMPTS: '6',
        RETRY_BASE_DELAY_MS: '100',
        RETRY_MAX_DELAY_MS: '500',
        PROVIDER_TIMEOUT_MS: '15000',
        SHUTDOWN_TIMEOUT_MS: '3000',
        // A dead host's jobs go back to the queue within seconds, not the production 30 s.
        WORKER_LOCK_DURATION_MS: '2000',
        RECONCILE_INTERVAL_MS: '1000',
        RECONCILE_STALE_AFTER_MS: '2000',
        WORKER_CONCURRENCY: '4',
        CHUNKED_UPLOAD_THRESHOLD_BYTES: String(6 * MB),
        CHUNK_SIZE_BYTES: String(5 * MB),
      },
      // Each upload request takes a while, so uploads are in flight when a host dies.
      emulatorEnv: { EMULATOR_LATENCY_MS: '400' },
    });
  }, 90_000);
  afterAll(async () => {
    const failures = (await stack?.stop()) ?? [];
    for (const cleanup of cleanups) await cleanup();
    expect(failures).toEqual([]);
    // Nothing of the hosts is left: no namespace, no link.
    if (stack?.net) expect(await stack.net.leftovers()).toEqual([]);
  }, 60_000);

  /** Lines of host `host`'s workers carrying `message`. */
  function logged(host: string, message: string): number {
    return (stack.workers.get(host) ?? []).flatMap((worker) => worker.output).filter((line) => line.includes(`"${message}"`)).length;
  }
  const succeededOn = (host: string) => logged(host, UPLOAD_LOG_MESSAGES.succeeded);

  async function settle(id: string): Promise<UploadView> {
    return pollUntilSettled(stack.apiUrl, id, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });
  }

  async function post(bytes: Buffer, filename: string): Promise<string> {
    const accepted = await postUpload(stack.apiUrl, bytes, filename, { timeoutMs: 60_000 });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    return (accepted.body as { id: string }).id;
  }

  async function expectServed(upload: UploadView, original: Buffer): Promise<void> {
    expect(upload.status, stack.logs()).toBe('succeeded');
    const served = Buffer.from(await (await fetch(upload.result!.secureUrl)).arrayBuffer());
    expect(served.length).toBe(original.length);
    expect(md5(served)).toBe(md5(original));
  }

  it('takes small PNGs, a 30 MB file sent in chunks and a tus upload from the API host, and the worker hosts deliver identical bytes', async () => {
    const smalls = Array.from({ length: 6 }, (_, i) => makePng(16, 16, 100 + i));
    const large = largePng(LARGE);
    const head = pngHead(TUS_SIZE);
    const resumable = Buffer.concat([head, randomBytes(TUS_SIZE - head.length)]);

    const sent = new Map<string, Buffer>();
    await Promise.all([
      ...smalls.map(async (bytes, i) => sent.set(await post(bytes, `small-${i}.png`), bytes)),
      post(large, 'large.png').then((id) => sent.set(id, large)),
      tusUpload(stack.apiUrl, resumable, 'resumable.png').then((id) => sent.set(id, resumable)),
    ]);
    expect(sent.size).toBe(smalls.length + 2);
    for (const [id, bytes] of sent) await expectServed(await settle(id), bytes);

    // One asset each; both worker hosts took part, and left nothing in their own dirs (the bytes came through the bucket).
    const assets = await stack.assets();
    expect(assets.filter((asset) => [...sent.keys()].some((id) => asset.public_id.includes(id)))).toHaveLength(sent.size);
    for (const host of stack.workerHostNames) {
      expect(succeededOn(host), `uploads that succeeded on ${host}`).toBeGreaterThan(0);
      expect(await stack.tempFiles(host)).toEqual([]);
    }
  }, 120_000);

  it('loses nothing and duplicates nothing when every process on one worker host is killed mid-run', async () => {
    const before = new Set((await stack.assets()).map((asset) => asset.public_id));
    const sent = new Map<string, string>();
    const doneBefore = succeededOn('w1');
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, (_, i) => {
        const bytes = makePng(24, 24, 500 + i);
        return post(bytes, `inflight-${i}.png`).then((id) => sent.set(id, md5(bytes)));
      }),
    );
    // Wait until the doomed host is busy with this batch (a first one done, more in flight), then kill all of it.
    await waitFor(() => Promise.resolve(succeededOn('w1') > doneBefore ? true : undefined), { timeoutMs: 15_000, what: 'w1 to work on the batch' });
    const killed = await stack.killHost('w1');
    expect(killed).toBeGreaterThan(0);
    expect(await stack.net!.pids('w1')).toEqual([]);

    const views = await Promise.all([...sent.keys()].map((id) => settle(id)));
    const lost = views.filter((view) => view.status !== 'succeeded' && view.status !== 'failed');
    const failed = views.filter((view) => view.status === 'failed');
    expect(lost, stack.logs()).toEqual([]);
    expect(failed.map((view) => view.error), stack.logs()).toEqual([]);

    // Exactly one asset per upload, holding the bytes sent.
    const assets = (await stack.assets()).filter((asset) => !before.has(asset.public_id));
    for (const [id, expected] of sent) {
      const mine = assets.filter((asset) => asset.public_id.includes(id));
      expect(mine, `assets of ${id}`).toHaveLength(1);
      expect(mine[0]!.etag).toBe(expected);
    }
    expect(assets).toHaveLength(IN_FLIGHT);
    // The dead host's uploads were taken over by the other host (not merely never started on w1).
    expect(logged('w2', UPLOAD_LOG_MESSAGES.takenOver), stack.logs()).toBeGreaterThan(0);
    expect(views.filter((view) => view.reclaims > 0).length).toBeGreaterThan(0);
  }, 120_000);
});
