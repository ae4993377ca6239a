import { getContainerRuntimeClient } from 'testcontainers';

/** Where the test run's Postgres and Redis are, and how to stop them if this run started them. */
export interface TestServices {
  databaseUrl: string;
  redisUrl: string;
  source: 'testcontainers' | 'environment';
  stop: () => Promise<void>;
}

const LOCAL_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/postgres';
const LOCAL_REDIS_URL = 'redis://127.0.0.1:6379';

/** A Docker engine answers (and HOIST_TEST_SERVICES is not `local`): tests may start containers. */
export async function dockerReachable(): Promise<boolean> {
  if (process.env.HOIST_TEST_SERVICES === 'local') return false;
  try {
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

/**
 * Postgres and Redis for the tests: fresh containers when a Docker engine is reachable (and
 * HOIST_TEST_SERVICES is not `local`), otherwise the servers named by DATABASE_URL / REDIS_URL,
 * defaulting to the local ones. Tests never use the database in the URL itself: they create their own.
 */
export async function startTestServices(): Promise<TestServices> {
  if (await dockerReachable()) {
    const [{ PostgreSqlContainer }, { RedisContainer }] = await Promise.all([
      import('@testcontainers/postgresql'),
      import('@testcontainers/redis'),
    ]);
    const [postgres, redis] = await Promise.all([
      new PostgreSqlContainer('postgres:15-alpine').withUsername('postgres').withPassword('postgres').start(),
      new RedisContainer('redis:7-alpine').start(),
    ]);
    return {
      databaseUrl: postgres.getConnectionUri(),
      redisUrl: redis.getConnectionUrl(),
      source: 'testcontainers',
      stop: async () => {
        await Promise.all([postgres.stop(), redis.stop()]);
      },
    };
  }
  return {
    databaseUrl: process.env.DATABASE_URL || LOCAL_DATABASE_URL,
    redisUrl: process.env.REDIS_URL || LOCAL_REDIS_URL,
    source: 'environment',
    stop: () => Promise.resolve(),
  };
}
