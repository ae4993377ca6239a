import { randomUUID } from 'node:crypto';
import type { Logger } from '@hoist/core';
import type { RedisConnection } from './redis.js';

/** Renews the holder's lock while it is held (`PEXPIRE` only when the token is still ours). */
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end`;
/** Releases only our own lock: one that lapsed and was taken by another holder stays theirs. */
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end`;

/** Thrown when a lock could not be taken in time; `status_code`/`body` are what a tus server answers with. */
export class UploadLockTimeoutError extends Error {
  readonly status_code = 500;
  readonly body = 'Timeout acquiring lock\n';
  constructor(id: string) {
    super(`Could not take the lock of upload ${id} in time.`);
    this.name = 'UploadLockTimeoutError';
  }
}

export interface RedisUploadLocksOptions {
  /** Commands (a producer connection). */
  redis: RedisConnection;
  prefix: string;
  logger: Logger;
  /** How long a lock outlives a holder that stopped renewing it (crashed), ms; default 30 000. Renewed every third of it. */
  ttlMs?: number | undefined;
  /** How long `lock` waits for the holder to let go before giving up, ms; default 30 000. */
  acquireTimeoutMs?: number | undefined;
  /** Between tries to take a held lock, ms; default 100. */
  retryMs?: number | undefined;
}

/**
 * Exclusive locks on resumable uploads across API processes (the tus `Locker` interface): `SET NX
 * PX` with a token, renewed while held, released by compare-and-delete. A request that finds the
 * lock held asks its holder — in whichever process — to let go, over pub/sub (tus's
 * `requestRelease`): a client resuming through another API process must not wait for a
 * half-open connection of its previous attempt to time out.
 */
export class RedisUploadLocks {
  private readonly channel: string;
  /** Locks held in this process, by upload id: how to ask each holder to let go. */
  private readonly held = new Map<string, () => Promise<void> | void>();

  constructor(private readonly options: RedisUploadLocksOptions) {
    this.channel = `${options.prefix}:upload-lock-release`;
  }

  /** Starts hearing release requests on a subscribed connection (shared: messages of other channels are ignored). */
  async subscribe(connection: RedisConnection): Promise<void> {
    connection.on('message', (channel: string, id: string) => {
      if (channel !== this.channel) return;
      const release = this.held.get(id);
      if (!release) return;
      void Promise.resolve()
        .then(release)
        .catch((error: unknown) => this.options.logger.warn({ err: error, uploadId: id }, 'could not release an upload lock on request'));
    });
    await connection.subscribe(this.channel);
  }

  newLock(id: string): RedisUploadLock {
    return new RedisUploadLock(id, this.options, this.channel, this.held);
  }
}

/** One lock (tus `Lock`): taken by `lock`, given back by `unlock`. */
export class RedisUploadLock {
  private readonly token = randomUUID();
  private renewal: NodeJS.Timeout | undefined;

  constructor(
    private readonly id: string,
    private readonly options: RedisUploadLocksOptions,
    private readonly channel: string,
    private readonly held: Map<string, () => Promise<void> | void>,
  ) {}

  private get key(): string {
    return `${this.options.prefix}:upload-lock:${this.id}`;
  }

  /**
   * Takes the lock, asking its holder to let go while it is held elsewhere.
   * @throws UploadLockTimeoutError after `acquireTimeoutMs`, or when `signal` aborts first.
   */
  async lock(signal: AbortSignal, requestRelease: () => Promise<void> | void): Promise<void> {
    const ttlMs = this.options.ttlMs ?? 30_000;
    const deadline = Date.now() + (this.options.acquireTimeoutMs ?? 30_000);
    const { redis } = this.options;
    while (!signal.aborted && Date.now() < deadline) {
      if ((await redis.set(this.key, this.token, 'PX', ttlMs, 'NX')) === 'OK') {
        this.held.set(this.id, requestRelease);
        this.renewal = setInterval(() => {
          redis.eval(RENEW, 1, this.key, this.token, ttlMs).catch((error: unknown) => this.options.logger.warn({ err: error, uploadId: this.id }, 'could not renew an upload lock'));
        }, Math.max(Math.floor(ttlMs / 3), 10));
        this.renewal.unref();
        return;
      }
      await redis.publish(this.channel, this.id);
      await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 100));
    }
    throw new UploadLockTimeoutError(this.id);
  }

  /** Gives the lock back; one that lapsed and was taken by another holder is left to it. */
  async unlock(): Promise<void> {
    clearInterval(this.renewal);
    this.renewal = undefined;
    if (this.held.get(this.id) !== undefined) this.held.delete(this.id);
    await this.options.redis.eval(RELEASE, 1, this.key, this.token);
  }
}
