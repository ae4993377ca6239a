import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';

export type { Cluster, Redis };

/** A connection to Hoist's Redis: one server, or a Redis Cluster (see {@link RedisEndpoint}). */
export type RedisConnection = Redis | Cluster;

/** One seed node of a Redis Cluster; the client learns the rest of the cluster from it. */
export interface RedisNode {
  host: string;
  port: number;
}

/** Where Hoist's Redis is (REDIS_URL, REDIS_CLUSTER_NODES). */
export interface RedisEndpoint {
  /**
   * `redis[s]://[user:password@]host:port[/db]`. With `clusterNodes`, only its user, password and
   * scheme (`rediss:` is TLS) are used, for every node of the cluster.
   */
  url: string;
  /** Seed nodes of a Redis Cluster; set, every connection is a cluster client. Unset: the server at `url`. */
  clusterNodes?: readonly RedisNode[] | undefined;
}

type Role = 'worker' | 'producer';

/**
 * A Redis connection for BullMQ.
 * - `worker`: blocking commands must never give up, so requests wait for reconnection
 *   (`maxRetriesPerRequest: null`, as BullMQ requires for workers).
 * - `producer`: the API must answer quickly when Redis is down, so commands fail fast
 *   instead of queueing while disconnected.
 *
 * Given a URL (or an endpoint without cluster nodes), a connection to that one server; given an
 * endpoint with cluster nodes, an ioredis Cluster client with the same behaviour per role, which
 * follows the cluster's slots through resharding and failovers.
 */
export function createRedis(url: string, role: Role, extra?: RedisOptions): Redis;
export function createRedis(endpoint: RedisEndpoint, role: Role): RedisConnection;
export function createRedis(target: string | RedisEndpoint, role: Role, extra: RedisOptions = {}): RedisConnection {
  const endpoint = typeof target === 'string' ? { url: target } : target;
  const options: RedisOptions =
    role === 'worker'
      ? { maxRetriesPerRequest: null, enableReadyCheck: true }
      : { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 };
  const redis = endpoint.clusterNodes ? createCluster(endpoint.url, endpoint.clusterNodes, role, options) : new Redis(endpoint.url, { ...options, lazyConnect: false, ...extra });
  // Connection errors surface through the commands that fail; without a listener ioredis would
  // also print them as unhandled "error" events.
  redis.on('error', () => undefined);
  return redis;
}

function createCluster(url: string, nodes: readonly RedisNode[], role: Role, options: RedisOptions): Cluster {
  const { username, password, protocol } = new URL(url);
  const { enableOfflineQueue: _perServer, ...perNode } = options;
  const clusterOptions: ClusterOptions = {
    // Each node's connection retries as a single server's would for the role. Its offline queue stays
    // on (ioredis insists: the cluster opens a node's connection on the first command for it); the
    // cluster-wide one (commands sent before the slots are known, or while every node is down)
    // follows the role: a producer fails fast, a worker waits.
    redisOptions: {
      ...perNode,
      ...(username ? { username: decodeURIComponent(username) } : {}),
      ...(password ? { password: decodeURIComponent(password) } : {}),
      ...(protocol === 'rediss:' ? { tls: {} } : {}),
    },
    enableOfflineQueue: role === 'worker',
    enableReadyCheck: true,
    lazyConnect: false,
    // A command refused while the cluster settles (CLUSTERDOWN, TRYAGAIN, a master that went away) is
    // retried every 200–300 ms. A producer gives up after ioredis's 16 tries (3–5 s), failing fast as
    // on one server; a worker keeps trying for about two minutes, through a dead master's
    // replacement (cluster-node-timeout, 15 s by default, and the election), as it would wait for one
    // server to come back.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 300,
    retryDelayOnTryAgain: 200,
    maxRedirections: role === 'worker' ? 500 : 16,
  };
  return new Cluster(
    nodes.map((node) => ({ host: node.host, port: node.port })),
    clusterOptions,
  );
}

/**
 * The key prefix every Hoist key and BullMQ queue of a deployment uses. On a cluster it is a hash tag
 * (`hoist` → `{hoist}`): BullMQ's scripts touch many keys of a queue at once, and Hoist's own
 * multi-key scripts (the provider throttle) and the queue-loss marker must sit with the queue's keys,
 * so everything of one deployment hashes to one slot. On one server the prefix is used as given.
 */
export function keyPrefix(prefix: string, endpoint: RedisEndpoint): string {
  return endpoint.clusterNodes ? `{${prefix}}` : prefix;
}

// ioredis's own words for "not connected": a producer connection fails fast (no offline queue, one
// retry) instead of waiting, and says so in these; a cluster client in the last four.
const UNREACHABLE_MESSAGES =
  /Stream isn't writeable|Connection is closed|Reached the max retries per request limit|connect ETIMEDOUT|Command timed out|Cluster isn't ready|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections/i;
// Redis's own replies for "not now": loading its data after a restart, a replica after a failover,
// a master or cluster that is down or resharding. All pass; none says the command was wrong.
const UNAVAILABLE_REPLIES = /^(?:LOADING|READONLY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN)\b/;
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE']);

/** True when `error` says Redis could not be reached or went away, not that a command was wrong. */
export function isRedisConnectionError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
  if (error instanceof AggregateError) return error.errors.some(isRedisConnectionError);
  return error.name === 'MaxRetriesPerRequestError' || error.name === 'ClusterAllFailedError' || UNREACHABLE_MESSAGES.test(error.message) || UNAVAILABLE_REPLIES.test(error.message);
}

/** Resolves when Redis answers PING within `timeoutMs`. */
export async function pingRedis(redis: RedisConnection, timeoutMs = 2_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer PING within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
