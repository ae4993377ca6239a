import { tempStorageLocation, type Config } from '@hoist/config';
import type { Logger, TempStorage, UploadRepository } from '@hoist/core';
import { connectDatabase, KyselyApiKeyRepository, KyselyUploadRepository } from '@hoist/db';
import { redactUrl } from '@hoist/logger';
import { BullJobQueue, createRedis, keyPrefix, QueueAdmin, type RedisConnection, type RedisEndpoint } from '@hoist/queue';
import { openTempStorage } from '@hoist/temp-storage';
import { CommandFailed } from './command.js';

/** How long the CLI waits for Redis before saying it is unreachable, ms. */
const REDIS_CONNECT_TIMEOUT_MS = 5_000;

type Db = Awaited<ReturnType<typeof connectDatabase>>;

/**
 * The connections a command needs, opened on first use from the same environment the services read
 * (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, TEMP_STORAGE_URL or UPLOAD_TMP_DIR) and all closed by `close`, so the process
 * exits as soon as the command is done. `keys list` never touches Redis, `queue pause` never Postgres.
 */
export class CliContext {
  private db: Promise<Db> | undefined;
  private redisConnection: Promise<RedisConnection> | undefined;
  private admin: QueueAdmin | undefined;
  private bullQueue: BullJobQueue | undefined;
  /** Warnings from the use cases (e.g. bytes that could not be deleted) go to stderr, never stdout. */
  readonly logger: Logger = stderrLogger();

  /** One Redis server, or a Redis Cluster (REDIS_CLUSTER_NODES). */
  private readonly redisEndpoint: RedisEndpoint;
  /** QUEUE_PREFIX as the services use it (a hash tag on a cluster). */
  private readonly queuePrefix: string;

  constructor(readonly config: Config) {
    this.redisEndpoint = { url: config.REDIS_URL, clusterNodes: config.REDIS_CLUSTER_NODES };
    this.queuePrefix = keyPrefix(config.QUEUE_PREFIX, this.redisEndpoint);
  }

  database(): Promise<Db> {
    // Three connections: the reconciler holds one for its advisory lock while it works on others.
    this.db ??= connectDatabase({ url: this.config.DATABASE_URL, applicationName: 'hoist-cli', maxConnections: 3 });
    return this.db;
  }

  async uploads(): Promise<UploadRepository> {
    return new KyselyUploadRepository(await this.database());
  }

  async apiKeys(): Promise<KyselyApiKeyRepository> {
    return new KyselyApiKeyRepository(await this.database());
  }

  redis(): Promise<RedisConnection> {
    this.redisConnection ??= connectRedis(this.redisEndpoint);
    return this.redisConnection;
  }

  /** Every Hoist queue, for counts, pause, clean and job details. */
  async queues(): Promise<QueueAdmin> {
    const connection = await this.redis();
    this.admin ??= new QueueAdmin({ connection, prefix: this.queuePrefix });
    return this.admin;
  }

  /** The upload queue as the API and workers use it (enqueue with the configured attempts, remove jobs). */
  async jobQueue(): Promise<BullJobQueue> {
    const connection = await this.redis();
    this.bullQueue ??= new BullJobQueue({ connection, prefix: this.queuePrefix, attempts: this.config.MAX_ATTEMPTS, logger: this.logger });
    return this.bullQueue;
  }

  async storage(): Promise<TempStorage> {
    return openTempStorage(tempStorageLocation(this.config));
  }

  async close(): Promise<void> {
    await this.admin?.close();
    await this.bullQueue?.close();
    // A connection that failed to open has already been cleaned up by its opener.
    const [redis, db] = await Promise.all([this.redisConnection?.catch(() => undefined), this.db?.catch(() => undefined)]);
    redis?.disconnect();
    await db?.destroy();
  }
}

/** A producer connection that is ready, or a one-line error naming the (password-free) URL or the cluster's nodes. */
async function connectRedis(endpoint: RedisEndpoint): Promise<RedisConnection> {
  const redis = createRedis(endpoint, 'producer');
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s`)), REDIS_CONNECT_TIMEOUT_MS);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      redis.once('error', (error: Error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  } catch (error) {
    redis.disconnect();
    const where = endpoint.clusterNodes ? `the Redis Cluster at ${endpoint.clusterNodes.map((node) => `${node.host}:${node.port}`).join(',')}` : `Redis at ${redactUrl(endpoint.url)}`;
    throw new CommandFailed(`${where} is unreachable: ${error instanceof Error ? error.message : String(error)}`);
  }
  return redis;
}

/** Warnings and errors as one line each on stderr, with their fields (`uploadId=…`); nothing below warn. */
function stderrLogger(bindings: Record<string, unknown> = {}): Logger {
  const write = (obj: object, msg?: string) => {
    const { err, ...fields } = { ...bindings, ...(obj as Record<string, unknown>) };
    const details = Object.entries(fields).map(([key, value]) => `${key}=${String(value)}`);
    if (err instanceof Error) details.push(`error=${err.message}`);
    process.stderr.write(`hoist: ${msg ?? ''}${details.length ? ` (${details.join(', ')})` : ''}\n`);
  };
  return { debug: () => undefined, info: () => undefined, warn: write, error: write, child: (more) => stderrLogger({ ...bindings, ...more }) };
}
