// The stack a drill or benchmark measures: test/support's Stack on a migrated database and a queue
// prefix of its own (or a private redis-server), every piece registered with the script's cleanup,
// plus a monitoring connection straight to Postgres (never through the proxy) to watch progress.
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import type { StatsSnapshot } from '@hoist/emulator';
import { createDatabase } from '../../test/support/databases.js';
import { deleteKeys } from '../../test/support/redis-keys.js';
import { Stack, type LaunchOptions } from '../../test/support/stack.js';
import { cleanupFailed, onCleanup } from './lifecycle.js';
import type { EmulatorAsset, SeenUpload, StatusCounts } from './outcome.js';

export const baseDatabaseUrl = (): string => process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/hoist';
export const sharedRedisUrl = (): string => process.env.REDIS_URL || 'redis://127.0.0.1:6379';

export const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

/** Only loopback: these scripts never talk to anything else. */
export function assertLoopback(url: string, what: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`${what} (${host}) is not on loopback; these scripts only run against local services`);
  }
}

export interface MeasuredStackOptions extends Omit<LaunchOptions, 'resources' | 'label'> {
  /** Part of the database name and queue prefix (letters, digits, _). */
  label: string;
  /** A redis-server of the script's own (FLUSHALL is fine there; no key cleanup needed). */
  privateRedisUrl?: string;
}

/** Runs `task(item)` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit<T, R>(items: T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

async function getJson<T>(url: string, timeoutMs = 10_000): Promise<{ status: number; body: T }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
  return { status: response.status, body: (await response.json()) as T };
}

export class MeasuredStack {
  readonly databaseName: string;
  readonly pool: pg.Pool;
  /** Closes the pool, stops the processes and removes what the stack created; set by `start()`. */
  private release: () => Promise<void> = () => Promise.resolve();

  private constructor(
    readonly stack: Stack,
    databaseName: string,
    pool: pg.Pool,
  ) {
    this.databaseName = databaseName;
    this.pool = pool;
  }

  /** Starts the emulator, the API and the workers; everything goes at the script's cleanup or at `stop()`. */
  static async start(options: MeasuredStackOptions): Promise<MeasuredStack> {
    const redisUrl = options.privateRedisUrl ?? sharedRedisUrl();
    assertLoopback(baseDatabaseUrl(), 'DATABASE_URL');
    assertLoopback(redisUrl, 'REDIS_URL');
    const id = randomBytes(3).toString('hex');
    const databaseName = `hoist_${options.label}_${id}`;
    const queuePrefix = `hoist-${options.label.replace(/_/g, '-')}-${id}`;
    let databaseUrl = '';
    const stack = new Stack({
      ...options,
      stopGraceMs: options.stopGraceMs ?? 15_000,
      resources: {
        database: async () => {
          const database = await createDatabase(baseDatabaseUrl(), databaseName);
          databaseUrl = database.url;
          return database;
        },
        queue: () => ({
          prefix: queuePrefix,
          redisUrl,
          clear: async () => {
            if (!options.privateRedisUrl) await deleteKeys(redisUrl, `${queuePrefix}:*`);
          },
        }),
      },
    });
    const stop = onCleanup(`stop the stack ${options.label} and remove its database ${databaseName}, keys ${queuePrefix}:* and dirs`, async () => {
      for (const failure of await stack.stop()) cleanupFailed(`clean up after ${options.label}`, failure);
    });
    await stack.boot();
    const pool = new pg.Pool({ connectionString: databaseUrl, max: 2, connectionTimeoutMillis: 5_000 });
    pool.on('error', () => undefined);
    const closePool = onCleanup(`close the monitoring pool of ${databaseName}`, () => pool.end());
    const measured = new MeasuredStack(stack, databaseName, pool);
    measured.release = async () => {
      await closePool();
      await stop();
    };
    return measured;
  }

  /** Stops the processes and removes the database, keys and dirs (now rather than at the script's end). */
  stop(): Promise<void> {
    return this.release();
  }

  /** Status counts of the given upload ids, straight from Postgres (not through the proxy). */
  async statusCounts(ids: string[]): Promise<StatusCounts> {
    const counts: StatusCounts = { queued: 0, processing: 0, succeeded: 0, failed: 0, missing: 0 };
    if (!ids.length) return counts;
    const { rows } = await this.pool.query<{ status: keyof StatusCounts; n: number }>(
      'select status, count(*)::int as n from upload where id = any($1::uuid[]) group by status',
      [ids],
    );
    let found = 0;
    for (const row of rows) {
      counts[row.status] = row.n;
      found += row.n;
    }
    counts.missing = ids.length - found;
    return counts;
  }

  /** Every upload row's id, for comparison with what the API accepted. */
  async allRowIds(): Promise<string[]> {
    const { rows } = await this.pool.query<{ id: string }>('select id from upload');
    return rows.map((row) => row.id);
  }

  /**
   * GET /v1/uploads/:id for each id through the API: what clients see. Where the API does not answer
   * (e.g. it crashed), the row is read from Postgres instead and marked `source: 'postgres'`.
   */
  async views(ids: string[]): Promise<Map<string, SeenUpload>> {
    const results = await mapLimit(ids, 16, async (id): Promise<SeenUpload | undefined> => {
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await getJson<SeenUpload>(`${this.stack.apiUrl}/v1/uploads/${id}`);
          if (response.status === 200) return { ...response.body, source: 'api' };
          if (attempt >= 3) return undefined;
        } catch {
          if (attempt >= 3) return undefined;
        }
        await sleep(300);
      }
    });
    const views = new Map<string, SeenUpload>();
    const unanswered: string[] = [];
    results.forEach((view, index) => (view ? views.set(ids[index]!, view) : unanswered.push(ids[index]!)));
    if (unanswered.length) {
      const { rows } = await this.pool.query<{ id: string; status: SeenUpload['status']; attempts: number; result: SeenUpload['result']; error_code: string | null; error_message: string | null }>(
        'select id, status, attempts, result, error_code, error_message from upload where id = any($1::uuid[])',
        [unanswered],
      );
      const byId = new Map(rows.map((row) => [row.id, row]));
      for (const id of unanswered) {
        const row = byId.get(id);
        views.set(
          id,
          row
            ? {
                id,
                status: row.status,
                attempts: row.attempts,
                result: row.result,
                error: row.error_code ? { code: row.error_code, message: row.error_message ?? '' } : null,
                source: 'postgres',
              }
            : { id, status: 'no row', source: 'postgres' },
        );
      }
    }
    return views;
  }

  async emulatorStats(): Promise<StatsSnapshot> {
    return (await getJson<StatsSnapshot>(`${this.stack.emulatorUrl}/__emulator/stats`, 5_000)).body;
  }

  async emulatorAssets(): Promise<EmulatorAsset[]> {
    return (await getJson<{ assets: EmulatorAsset[] }>(`${this.stack.emulatorUrl}/__emulator/assets`, 30_000)).body.assets;
  }
}
