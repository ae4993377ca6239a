import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile, type UploadView } from '../support/api-client.js';
import { pngHead } from '../support/fixtures.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Large files through the real processes: the worker sends them with Cloudinary's chunked protocol
// (5 MB chunks above 6 MB here, instead of 20 MB above 100 MB) to the emulator.

const MB = 1_000_000;
const SIZE = 16 * MB;
/** 5 + 5 + 5 + 1 MB. */
const CHUNKS = 4;

/** A file the API accepts as a PNG: a PNG head (pngHead), then random filler. */
function largePng(size: number): Buffer {
  const head = pngHead(size);
  const filler = randomBytes(size - head.length);
  // No CR in the filler, so no run of it can look like a multipart delimiter ("\r\n--boundary").
  for (let i = 0; i < filler.length; i++) if (filler[i] === 0x0d) filler[i] = 0x0e;
  return Buffer.concat([head, filler]);
}

describe('large files, chunked, end to end', () => {
  let stack: Stack;
  let dir: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hoist-e2e-chunked-'));
    stack = await Stack.start({
      workerEnv: {
        CHUNKED_UPLOAD_THRESHOLD_BYTES: String(6 * MB),
        CHUNK_SIZE_BYTES: String(5 * MB),
        // Short locks so a killed worker's job is recovered in about two seconds, not thirty.
        WORKER_LOCK_DURATION_MS: '1500',
      },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Upload requests the emulator has seen, each chunk (and each retry of one) counting once. */
  async function uploadRequests(): Promise<number> {
    return ((await (await stack.emulator('/__emulator/stats')).json()) as { uploads: number }).uploads;
  }

  async function assetsOf(publicId: string): Promise<Array<{ public_id: string; writes: number; bytes: number }>> {
    const { assets } = (await (await stack.emulator('/__emulator/assets')).json()) as { assets: Array<{ public_id: string; writes: number; bytes: number }> };
    return assets.filter((asset) => asset.public_id === publicId);
  }

  /** Writes a fresh large PNG, has the API accept it, and returns its bytes and upload id. */
  async function accept(name: string): Promise<{ original: Buffer; id: string }> {
    const original = largePng(SIZE);
    const path = join(dir, name);
    await writeFile(path, original);
    const accepted = await uploadFile(stack.apiUrl, path);
    expect(accepted.status).toBe(202);
    await rm(path);
    return { original, id: accepted.body.id };
  }

  async function settled(id: string): Promise<UploadView> {
    return pollUntilSettled(stack.apiUrl, id, 45_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });
  }

  async function expectServed(upload: UploadView, original: Buffer): Promise<void> {
    expect(upload.status, stack.logs()).toBe('succeeded');
    expect(upload.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    expect(upload.result).toMatchObject({ publicId: `default/${upload.id}`, bytes: SIZE, format: 'png' });
    const served = Buffer.from(await (await fetch(upload.result!.secureUrl)).arrayBuffer());
    expect(served.length).toBe(SIZE);
    expect(served.equals(original)).toBe(true);
    expect(await assetsOf(`default/${upload.id}`)).toEqual([expect.objectContaining({ writes: 1, bytes: SIZE })]);
  }

  it('uploads a file of several chunks through injected chunk failures and serves identical bytes', async () => {
    // The first chunk meets a 503 and then a reset; the worker retries it in place, so the job
    // keeps its single attempt and every later chunk goes through once.
    await stack.setFaults({ script: [{ kind: 'error', status: 503 }, { kind: 'reset' }] });
    const before = await uploadRequests();
    const { original, id } = await accept('faults.png');

    const upload = await settled(id);

    await expectServed(upload, original);
    expect(upload.attempts).toBe(1);
    expect((await uploadRequests()) - before).toBe(CHUNKS + 2);
  }, 60_000);

  it('resumes from the last acknowledged chunk after the worker is killed mid-upload', async () => {
    // Slow chunks, so the worker can be caught between two of them.
    await stack.setFaults({ latencyMs: 1_000 });
    const start = await uploadRequests();
    const { original, id } = await accept('crash.png');

    // The worker sends a chunk only after the previous one was acknowledged and its progress
    // saved in Postgres, so once the second request has arrived, the first chunk is on record.
    await waitFor(async () => ((await uploadRequests()) - start >= 2 ? true : undefined), { timeoutMs: 20_000, intervalMs: 20, what: 'the second chunk' });
    const crashed = stack.workers[0]!;
    crashed.kill('SIGKILL');
    await crashed.exited;
    const beforeResume = await uploadRequests();

    await stack.setFaults({ latencyMs: 0 });
    await stack.addWorker();
    const upload = await settled(id);

    await expectServed(upload, original);
    // The killed run was taken over (a re-claim), not retried: a dying worker spends no provider attempt (issue 10).
    // (At least one: under load a live worker may also miss a lock renewal and be taken over.)
    expect(upload.attempts).toBe(1);
    expect(upload.reclaims).toBeGreaterThanOrEqual(1);
    // Starting over would send all four chunks again; resuming sends only those from the saved offset on.
    const resumed = (await uploadRequests()) - beforeResume;
    expect(resumed).toBeGreaterThanOrEqual(1);
    expect(resumed).toBeLessThan(CHUNKS);
  }, 60_000);
});
