import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@hoist/logger';
import { createQueuePrefix } from '../../../test/support/resources.js';
import { createRedis } from './redis.js';
import { RedisUploadLocks, UploadLockTimeoutError } from './redis-upload-locks.js';

const logger = createLogger({ name: 'upload-locks-test', level: 'silent', format: 'json' });
const { prefix, redisUrl, clear } = createQueuePrefix();
const redis = createRedis(redisUrl, 'worker');
const subscribers = [createRedis(redisUrl, 'worker'), createRedis(redisUrl, 'worker')];
afterAll(async () => {
  await clear();
  for (const connection of subscribers) connection.disconnect();
  redis.disconnect();
});

/** Two API processes' lockers on one Redis. */
async function twoProcesses(options: { ttlMs?: number; acquireTimeoutMs?: number } = {}) {
  const [a, b] = subscribers.map(() => new RedisUploadLocks({ redis, prefix, logger, retryMs: 20, ...options }));
  await a!.subscribe(subscribers[0]!);
  await b!.subscribe(subscribers[1]!);
  return [a!, b!] as const;
}

describe('RedisUploadLocks', () => {
  it('asks the holder in another process to let go, and takes the lock once it has', async () => {
    const [a, b] = await twoProcesses();
    const first = a.newLock('u1');
    let asked = 0;
    await first.lock(new AbortController().signal, async () => {
      asked += 1;
      await first.unlock();
    });
    const second = b.newLock('u1');
    await second.lock(new AbortController().signal, () => undefined);
    expect(asked).toBeGreaterThanOrEqual(1);
    await second.unlock();
  });

  it('gives up after the timeout while a holder does not let go, and another upload is not affected', async () => {
    const [a, b] = await twoProcesses({ acquireTimeoutMs: 300 });
    const stubborn = a.newLock('u2');
    await stubborn.lock(new AbortController().signal, () => undefined);
    await expect(b.newLock('u2').lock(new AbortController().signal, () => undefined)).rejects.toBeInstanceOf(UploadLockTimeoutError);
    const other = b.newLock('u3');
    await other.lock(new AbortController().signal, () => undefined);
    await other.unlock();
    await stubborn.unlock();
    const next = b.newLock('u2');
    await next.lock(new AbortController().signal, () => undefined);
    await next.unlock();
  });

  it('keeps a held lock past its ttl by renewing it, and lets a crashed holder\u2019s lapse', async () => {
    const [a, b] = await twoProcesses({ ttlMs: 150, acquireTimeoutMs: 100 });
    const holder = a.newLock('u4');
    await holder.lock(new AbortController().signal, () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 400));
    await expect(b.newLock('u4').lock(new AbortController().signal, () => undefined)).rejects.toBeInstanceOf(UploadLockTimeoutError);
    await holder.unlock();
    // A holder that dies never renews: its lock lapses after the ttl.
    await redis.set(`${prefix}:upload-lock:u5`, 'dead-holder', 'PX', 150);
    const late = b.newLock('u5');
    await new Promise((resolve) => setTimeout(resolve, 200));
    await late.lock(new AbortController().signal, () => undefined);
    // Unlocking after a lapse never frees a lock another holder took since.
    await redis.set(`${prefix}:upload-lock:u6`, 'someone-else');
    const lapsed = a.newLock('u6');
    await lapsed.unlock();
    expect(await redis.get(`${prefix}:upload-lock:u6`)).toBe('someone-else');
    await late.unlock();
  });
});
