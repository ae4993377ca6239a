import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, postUpload } from '../support/api-client.js';
import { makePng } from '../support/fixtures.js';
import { freePort, repoRoot, TestProcess } from '../support/processes.js';
import { createQueuePrefix, createTestDatabase } from '../support/resources.js';

// `pnpm start`, the README's one command, as a newcomer runs it (after `pnpm build`, which it does
// first): it comes up with the emulator, takes an upload to `succeeded`, and Ctrl-C stops it all.
// Here on a database, queue prefix, ports and directories of its own.

const cleanups: Array<() => Promise<unknown>> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/**
 * Runs `pnpm start`'s script (tsx scripts/start-stack.ts) on a database, queue prefix, ports and
 * directory of its own, plus `env`, and waits for its "ready" line; all of it is removed afterwards.
 */
async function startStack(name: string, env: Record<string, string> = {}) {
  const database = await createTestDatabase();
  cleanups.push(database.drop);
  const queue = createQueuePrefix();
  cleanups.push(queue.clear);
  const dir = await mkdtemp(join(tmpdir(), `hoist-${name}-`));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const [apiPort, emulatorPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
  const stack = new TestProcess(name, { command: process.execPath, args: [join(repoRoot, 'node_modules', 'tsx', 'dist', 'cli.mjs'), 'scripts/start-stack.ts'] }, {
    DATABASE_URL: database.url,
    REDIS_URL: queue.redisUrl,
    QUEUE_PREFIX: queue.prefix,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    EMULATOR_HOST: '127.0.0.1',
    EMULATOR_PORT: String(emulatorPort),
    EMULATOR_STORAGE_DIR: join(dir, 'emulator'),
    WORKER_METRICS_PORT: String(metricsPort),
    UPLOAD_TMP_DIR: join(dir, 'tmp'),
    LOG_FORMAT: 'json',
    ...env,
  });
  cleanups.push(() => stack.stop());
  await stack.waitForOutput(/ready\. API on/, 60_000);
  return { stack, dir, apiUrl: `http://127.0.0.1:${apiPort}`, emulatorPort };
}

describe('pnpm start (scripts/start-stack.ts)', () => {
  it('serves an upload end to end against the emulator, and stops every process on SIGINT', async () => {
    const { stack, apiUrl, emulatorPort } = await startStack('pnpm-start');

    const accepted = await postUpload(apiUrl, makePng(8, 8), 'first.png');
    expect(accepted.status).toBe(202);
    const { id } = accepted.body as { id: string };
    const done = await pollUntilSettled(apiUrl, id);
    expect(done).toMatchObject({ status: 'succeeded', result: { secureUrl: expect.stringContaining(`127.0.0.1:${emulatorPort}`) } });

    stack.kill('SIGINT');
    const exit = await stack.exited;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(stack.output.some((line) => /stopped$/.test(line))).toBe(true);
    // Nothing answers on the API's port any more.
    await expect(fetch(`${apiUrl}/healthz`)).rejects.toThrow();
  });

  it.each([
    // With an account of the emulator's own settings: Hoist is given the same key.
    ['imagekit', '/imagekit/', { EMULATOR_IMAGEKIT_PRIVATE_KEY: 'private_another-key' }],
    ['cloudflare', '/cdn-cgi/imagedelivery/', {}],
  ])('with PROVIDER=%s and no credentials for it, stands the emulator in for it', async (provider, deliveryPath, emulatorEnv) => {
    const { stack, apiUrl, emulatorPort } = await startStack(`pnpm-start-${provider}`, { PROVIDER: provider, ...emulatorEnv });
    expect(stack.output.some((line) => line.includes(`${provider} has no credentials: using the local emulator at http://127.0.0.1:${emulatorPort} in its place`))).toBe(true);
    const accepted = await postUpload(apiUrl, makePng(8, 8), 'first.png');
    expect(accepted.status).toBe(202);
    const done = await pollUntilSettled(apiUrl, (accepted.body as { id: string }).id);
    expect(done).toMatchObject({ status: 'succeeded', provider, result: { provider, secureUrl: expect.stringContaining(`127.0.0.1:${emulatorPort}${deliveryPath}`) as unknown } });
    expect((await fetch(done.result!.secureUrl)).status).toBe(200);
  });

  it('serves temp storage from a local S3 (s3rver) when TEMP_STORAGE_URL names a bucket and S3_ENDPOINT is unset', async () => {
    const { stack, dir, apiUrl } = await startStack('pnpm-start-s3', { TEMP_STORAGE_URL: 's3://hoist-local/tmp/' });
    expect(stack.output.some((line) => /using a local S3 \(s3rver\) at http:\/\/127\.0\.0\.1:\d+/.test(line))).toBe(true);

    const accepted = await postUpload(apiUrl, makePng(8, 8), 'first.png');
    expect(accepted.status).toBe(202);
    const done = await pollUntilSettled(apiUrl, (accepted.body as { id: string }).id);
    expect(done).toMatchObject({ status: 'succeeded' });
    // The bytes went through the bucket, not the directory: nothing there, not even a folder for tus,
    // whose parts are in the bucket too.
    const local = await readdir(join(dir, 'tmp'), { recursive: true }).catch(() => []);
    expect(local).toEqual([]);

    stack.kill('SIGINT');
    expect(await stack.exited).toEqual({ code: 0, signal: null });
  });
});
