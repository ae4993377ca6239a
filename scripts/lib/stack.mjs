// A whole Hoist stack as separate processes, the way test/support/stack.ts starts it for the e2e
// tests: the emulator, the API and N workers on their own database, queue prefix and temp dirs, on
// loopback. Plus what the drills need around it: a private redis-server, a TCP proxy in front of
// Postgres that can cut the connection, and checks of the outcome (statuses, assets at the provider).
//
// Everything a stack creates is registered with the harness's cleanup, so it is removed on every
// way out; `stack.stop()` removes it early (at the end of a phase).
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import {
  Child,
  freePort,
  httpJson,
  log,
  mapLimit,
  nodeChild,
  onCleanup,
  requireFromRoot,
  root,
  run,
  sleep,
  tempDir,
} from './harness.mjs';

const pg = requireFromRoot('pg');
const { Redis } = requireFromRoot('ioredis');

export const EMULATOR_KEY = 'hoist-local-key';
export const EMULATOR_SECRET = 'hoist-local-secret';
export const EMULATOR_CLOUD = 'hoist-local';

export const baseDatabaseUrl = () => process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/hoist';
export const sharedRedisUrl = () => process.env.REDIS_URL || 'redis://127.0.0.1:6379';

const withDatabase = (url, name) => {
  const next = new URL(url);
  next.pathname = `/${name}`;
  return next.toString();
};

/** Only loopback: these scripts never talk to anything else. */
function assertLoopback(url, what) {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host)) {
    throw new Error(`${what} (${host}) is not on loopback; these scripts only run against local services`);
  }
}

// ------------------------------------------------------------------------------- database, keys

/** Creates and migrates a database of its own (via the product's migrate CLI); dropped at cleanup. */
async function createDatabase(name) {
  const url = withDatabase(baseDatabaseUrl(), name);
  const drop = onCleanup(`drop database ${name}`, async () => {
    const admin = new pg.Client({ connectionString: withDatabase(baseDatabaseUrl(), 'postgres'), connectionTimeoutMillis: 5_000 });
    await admin.connect();
    try {
      await admin.query(`drop database if exists ${pg.escapeIdentifier(name)} with (force)`);
    } finally {
      await admin.end();
    }
  });
  await run(process.execPath, [join(root, 'packages', 'db', 'dist', 'cli.js'), 'migrate'], {
    env: { ...process.env, DATABASE_URL: url, LOG_LEVEL: 'warn' },
    timeoutMs: 60_000,
  });
  return { url, drop };
}

/** Deletes every key under `prefix:` (SCAN + DEL), never anything else. */
export async function deletePrefixedKeys(redisUrl, prefix) {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  let deleted = 0;
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length) deleted += await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
  return deleted;
}

// --------------------------------------------------------------------------------- private redis

/**
 * A redis-server of our own on a free loopback port, without persistence, so a drill can FLUSHALL
 * without touching the machine's shared Redis. Undefined when there is no redis-server binary.
 */
export async function startPrivateRedis({ logDir, binary = 'redis-server' }) {
  const found = await run('sh', ['-c', `command -v ${binary}`]).catch(() => '');
  if (!found) return undefined;
  const port = await freePort();
  const dir = await tempDir('hoist-drill-redis');
  const child = new Child('redis-server', found, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir.path], {
    env: { PATH: process.env.PATH ?? '' },
    logDir,
  });
  const stopChild = onCleanup(`stop redis-server (pid ${child.pid})`, () => child.stop(5_000));
  const stop = async () => {
    await stopChild();
    await dir.remove();
  };
  await child.waitFor(/Ready to accept connections/i, 15_000);
  return { url: `redis://127.0.0.1:${port}`, port, pid: child.pid, child, stop };
}

// ------------------------------------------------------------------------------------ pg proxy

/**
 * A TCP proxy between the Hoist processes and Postgres. `cut()` destroys every proxied connection
 * and stops listening (new connections are refused, as when Postgres is down); `resume()` listens
 * again on the same port.
 */
export class PgProxy {
  constructor(target) {
    this.target = target;
    this.pairs = new Set();
    this.down = false;
    this.connections = 0;
    this.destroyedAtCut = 0;
    this.server = undefined;
    this.port = 0;
  }

  async start() {
    await this.listen(0);
    this.close = onCleanup(`close the Postgres proxy on port ${this.port}`, () => this.shutdown());
    return this;
  }

  async listen(port) {
    const server = net.createServer((client) => this.accept(client));
    server.on('error', () => undefined);
    const deadline = Date.now() + 10_000;
    for (;;) {
      try {
        server.listen(port, '127.0.0.1');
        await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
        break;
      } catch (error) {
        if (error?.code !== 'EADDRINUSE' || Date.now() > deadline) throw error;
        await sleep(200);
      }
    }
    this.server = server;
    this.port = server.address().port;
  }

  accept(client) {
    if (this.down) {
      client.destroy();
      return;
    }
    this.connections += 1;
    const upstream = net.connect(this.target.port, this.target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    const drop = () => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
    // Bytes from a Hoist process to Postgres: a query (or a connection handshake) is in flight.
    client.on('data', () => this.onClientData?.());
  }

  /**
   * The outage begins: every connection dropped, new ones refused. With `whenBusy`, it waits (up to
   * `maxWaitMs`) for a Hoist process to send something to Postgres and cuts right after forwarding
   * it, so a query is in flight at the cut, as when Postgres fails under load. Resolves with how the
   * cut was timed.
   */
  async cut({ whenBusy = false, maxWaitMs = 3_000 } = {}) {
    let timing = 'at once';
    if (whenBusy) {
      timing = await new Promise((resolve) => {
        const timer = setTimeout(() => {
          this.onClientData = undefined;
          resolve(`no query within ${maxWaitMs} ms, cut anyway`);
        }, maxWaitMs);
        this.onClientData = () => {
          this.onClientData = undefined;
          clearTimeout(timer);
          resolve('right after a query was sent (a query in flight)');
        };
      });
    }
    this.down = true;
    const server = this.server;
    this.server = undefined;
    const closed = server ? new Promise((resolve) => server.close(resolve)) : Promise.resolve();
    this.destroyedAtCut += this.pairs.size;
    for (const pair of [...this.pairs]) {
      // A reset, as when the server host vanishes; the clients see ECONNRESET or "Connection terminated".
      if (typeof pair.client.resetAndDestroy === 'function') pair.client.resetAndDestroy();
      else pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    await closed;
    return timing;
  }

  /** The outage ends: listening again on the same port. */
  async resume() {
    await this.listen(this.port);
    this.down = false;
  }

  async shutdown() {
    this.down = true;
    for (const pair of [...this.pairs]) {
      pair.client.destroy();
      pair.upstream.destroy();
    }
    this.pairs.clear();
    if (this.server) await new Promise((resolve) => this.server.close(resolve));
    this.server = undefined;
  }
}

// ----------------------------------------------------------------------------------------- stack

/**
 * Starts the emulator, the API and `workers` workers on a database, queue prefix and temp dir of
 * their own. Options:
 *   label        part of the database name and queue prefix (letters, digits, _)
 *   logDir       where each process's log goes (<label>-<process>.log)
 *   redis        { url, private } — private: a redis-server of ours (no key cleanup needed)
 *   pgProxy      true: the Hoist processes reach Postgres through a PgProxy (stack.proxy)
 *   emulatorEnv, env (API and workers), workerEnv, workers
 */
export async function startStack(options) {
  const stack = new Stack(options);
  await stack.boot();
  return stack;
}

export class Stack {
  constructor(options) {
    this.options = options;
    this.id = randomBytes(3).toString('hex');
    this.label = options.label;
    this.workers = [];
    this.workerSeq = 0;
    this.releases = [];
  }

  async boot() {
    const { label } = this.options;
    const redisUrl = this.options.redis?.url ?? sharedRedisUrl();
    assertLoopback(baseDatabaseUrl(), 'DATABASE_URL');
    assertLoopback(redisUrl, 'REDIS_URL');

    const databaseName = `hoist_${label}_${this.id}`;
    this.databaseName = databaseName;
    const database = await createDatabase(databaseName);
    this.databaseUrl = database.url;
    this.releases.push(database.drop);

    this.queuePrefix = `hoist-${label.replace(/_/g, '-')}-${this.id}`;
    this.redisUrl = redisUrl;
    if (!this.options.redis?.private) {
      this.releases.push(onCleanup(`delete Redis keys ${this.queuePrefix}:*`, () => deletePrefixedKeys(redisUrl, this.queuePrefix)));
    }

    // The script's own connection, straight to Postgres (never through the proxy), for progress.
    this.pool = new pg.Pool({ connectionString: this.databaseUrl, max: 2, connectionTimeoutMillis: 5_000 });
    this.pool.on('error', () => undefined);
    this.releases.push(onCleanup(`close the monitoring pool of ${databaseName}`, () => this.pool.end()));

    const uploadDir = await tempDir(`hoist-${label}-uploads`);
    const emulatorDir = await tempDir(`hoist-${label}-emulator`);
    this.releases.push(uploadDir.remove, emulatorDir.remove);
    this.tmpDir = uploadDir.path;

    let appDatabaseUrl = this.databaseUrl;
    if (this.options.pgProxy) {
      const target = new URL(this.databaseUrl);
      this.proxy = await new PgProxy({ host: target.hostname, port: Number(target.port || 5432) }).start();
      this.releases.push(this.proxy.close);
      const proxied = new URL(this.databaseUrl);
      proxied.hostname = '127.0.0.1';
      proxied.port = String(this.proxy.port);
      appDatabaseUrl = proxied.toString();
    }

    const [emulatorPort, apiPort] = [await freePort(), await freePort()];
    this.emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    const base = { PATH: process.env.PATH ?? '', LOG_FORMAT: 'json', LOG_LEVEL: 'info' };

    this.emulator = this.spawn('emulator', 'apps/emulator/dist/main.js', {
      ...base,
      EMULATOR_HOST: '127.0.0.1',
      EMULATOR_PORT: String(emulatorPort),
      EMULATOR_STORAGE_DIR: emulatorDir.path,
      ...this.options.emulatorEnv,
    });
    this.env = {
      ...base,
      DATABASE_URL: appDatabaseUrl,
      REDIS_URL: redisUrl,
      // Like the e2e stack: no API keys (every request acts for the default tenant). Ignored by
      // builds without authentication.
      AUTH: 'off',
      QUEUE_PREFIX: this.queuePrefix,
      UPLOAD_TMP_DIR: uploadDir.path,
      CLOUDINARY_URL: `cloudinary://${EMULATOR_KEY}:${EMULATOR_SECRET}@${EMULATOR_CLOUD}?upload_prefix=${this.emulatorUrl}`,
      ...this.options.env,
    };
    this.api = this.spawn('api', 'apps/api/dist/main.js', { ...this.env, HOST: '127.0.0.1', PORT: String(apiPort) });
    await Promise.all([this.emulator.waitFor(/emulator listening/), this.api.waitFor(/api ready/)]);
    for (let i = 0; i < (this.options.workers ?? 1); i++) this.addWorker();
    await Promise.all(this.workers.map((worker) => worker.waitFor(/worker ready/)));
  }

  spawn(name, script, env) {
    const child = nodeChild(`${this.label}-${name}`, script, { env, logDir: this.options.logDir });
    child.shortName = name;
    this.releases.push(onCleanup(`stop ${child.name} (pid ${child.pid})`, () => child.stop(15_000)));
    return child;
  }

  /** Starts one more worker (not waiting for it to be ready). */
  addWorker() {
    this.workerSeq += 1;
    const worker = this.spawn(`worker-${this.workerSeq}`, 'apps/worker/dist/main.js', { ...this.env, ...this.options.workerEnv });
    worker.startedAt = Date.now();
    this.workers.push(worker);
    return worker;
  }

  get liveWorkers() {
    return this.workers.filter((worker) => worker.running);
  }

  get processes() {
    return [this.emulator, this.api, ...this.workers].filter(Boolean);
  }

  /** Stops the processes (workers first) and removes the database, keys and dirs. */
  async stop() {
    // All processes at once (each SIGTERM, then SIGKILL after 15 s), then the rest, newest first.
    for (const child of this.processes) child.stopping = true;
    await Promise.all(this.processes.map((child) => child.stop(15_000)));
    for (const release of this.releases.reverse()) await release();
    this.releases = [];
  }

  // ------------------------------------------------------------------------------ observation

  /** Status counts of the given upload ids, straight from Postgres (not through the proxy). */
  async statusCounts(ids) {
    const counts = { queued: 0, processing: 0, succeeded: 0, failed: 0, missing: 0 };
    if (!ids.length) return counts;
    const { rows } = await this.pool.query('select status, count(*)::int as n from upload where id = any($1::uuid[]) group by status', [ids]);
    let found = 0;
    for (const row of rows) {
      counts[row.status] = row.n;
      found += row.n;
    }
    counts.missing = ids.length - found;
    return counts;
  }

  /** Every upload row, for comparison with what the API accepted. */
  async allRowIds() {
    const { rows } = await this.pool.query('select id from upload');
    return rows.map((row) => row.id);
  }

  /**
   * GET /v1/uploads/:id for each id through the API: what clients see. Where the API does not answer
   * (e.g. it crashed), the row is read from Postgres instead and the view marked `source: 'postgres'`.
   */
  async views(ids) {
    const results = await mapLimit(ids, 16, async (id) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const response = await httpJson(`${this.apiUrl}/v1/uploads/${id}`);
          if (response.status === 200) return { ...response.body, source: 'api' };
          if (attempt >= 3) return undefined;
        } catch {
          if (attempt >= 3) return undefined;
        }
        await sleep(300);
      }
    });
    const views = new Map(results.map((view, index) => [ids[index], view]));
    const unanswered = ids.filter((id) => views.get(id) === undefined);
    if (unanswered.length) {
      const { rows } = await this.pool.query(
        'select id, status, attempts, public_id, result, error_code, error_message from upload where id = any($1::uuid[])',
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
                error: row.error_code ? { code: row.error_code, message: row.error_message } : null,
                source: 'postgres',
              }
            : { id, status: 'no row', source: 'postgres' },
        );
      }
    }
    return views;
  }

  /** Hoist processes that exited by themselves (not stopped or killed by the script), with why. */
  crashes() {
    return this.processes
      .filter((child) => !child.running && !child.killedOnPurpose && !child.stopping)
      .map((child) => {
        const text = child.recent.filter((line) => !line.startsWith('{'));
        const error = text.find((line) => /^\w*Error\b|^Error:/.test(line.trim())) ?? text.find(Boolean) ?? '';
        const fatal = child.recent.filter((line) => /"level":60/.test(line)).at(-1);
        let fatalMessage;
        try {
          fatalMessage = fatal ? JSON.parse(fatal).msg : undefined;
        } catch {
          fatalMessage = undefined;
        }
        return { name: child.name, pid: child.pid, exit: child.exitInfo, error: (error || fatalMessage || '').trim() };
      });
  }

  async emulatorStats() {
    return (await httpJson(`${this.emulatorUrl}/__emulator/stats`, { timeoutMs: 5_000 })).body;
  }

  async emulatorAssets() {
    return (await httpJson(`${this.emulatorUrl}/__emulator/assets`, { timeoutMs: 30_000 })).body.assets;
  }

  /** Warn/error counts and the last warnings of each process's log, for a failure report. */
  logReport(summarize, { lines = 4 } = {}) {
    const out = [];
    for (const child of this.processes) {
      const summary = summarize(child.logFile);
      out.push(`--- ${child.name} (pid ${child.pid}, ${child.running ? 'running' : `exited ${JSON.stringify(child.exitInfo)}`}, ${summary.lines} log lines: ${child.logFile})`);
      if (summary.counts.length) {
        out.push('  most frequent warnings/errors:');
        for (const [message, count] of summary.counts) out.push(`    ${String(count).padStart(5)} × ${message}`);
      }
      const warnings = child.recent.filter((line) => !/^\{.*"level":(10|20|30),/.test(line)).slice(-lines);
      const last = warnings.length ? warnings : child.recent.slice(-3);
      out.push(warnings.length ? '  last warnings/errors:' : '  last lines (no warnings among the recent ones):');
      for (const line of last) out.push(`    ${line.length > 300 ? `${line.slice(0, 300)}…` : line}`);
    }
    return out.join('\n');
  }

  /** Every JSON log entry of the workers that `test` accepts, oldest first. */
  async workerLogEntries(test) {
    const entries = [];
    for (const worker of this.workers) {
      await worker.flushLog();
      let text;
      try {
        text = await readFile(worker.logFile, 'utf8');
      } catch {
        continue;
      }
      for (const line of text.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          const entry = JSON.parse(line);
          if (test(entry)) entries.push({ ...entry, worker: worker.name });
        } catch {
          // not JSON after all
        }
      }
    }
    return entries.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  }
}

// ------------------------------------------------------------------------------------- outcome

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

/**
 * Compares what clients were promised (accepted uploads) with what happened: final statuses as the
 * API reports them, and the assets the provider holds.
 *   accepted: [{ id, md5 }]   views: Map id → upload resource   assets: the emulator's asset list
 */
export function assess({ accepted, views, assets }) {
  const byId = new Map(accepted.map((upload) => [upload.id, upload]));
  const assetsByUpload = new Map();
  const stray = [];
  for (const asset of assets) {
    const match = UUID.exec(asset.public_id);
    const id = match && byId.has(match[0].toLowerCase()) ? match[0].toLowerCase() : undefined;
    if (!id) {
      stray.push(asset.public_id);
      continue;
    }
    if (!assetsByUpload.has(id)) assetsByUpload.set(id, []);
    assetsByUpload.get(id).push(asset);
  }

  const outcome = {
    accepted: accepted.length,
    succeeded: 0,
    failed: 0,
    lost: 0,
    statuses: {},
    failures: {},
    duplicateUploads: 0, // uploads with more than one asset
    extraAssets: 0, // assets beyond one per upload
    reuploadedAssets: 0, // assets written more than once (same public id)
    extraWrites: 0,
    missingAssets: 0, // succeeded, but the provider has no asset
    corruptAssets: 0, // the provider's bytes differ from what the client sent
    strayAssets: stray.length, // assets for no accepted upload
    examples: { lost: [], failed: [], duplicate: [], missing: [], corrupt: [], stray: stray.slice(0, 3) },
  };
  for (const upload of accepted) {
    const view = views.get(upload.id);
    const status = view?.status ?? 'unknown';
    outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
    const found = assetsByUpload.get(upload.id) ?? [];
    if (status === 'succeeded') {
      outcome.succeeded += 1;
      const expected = view.result?.publicId ?? upload.id;
      const asset = found.find((a) => a.public_id === expected);
      if (!asset) {
        outcome.missingAssets += 1;
        if (outcome.examples.missing.length < 3) outcome.examples.missing.push(upload.id);
      } else if (upload.md5 && asset.etag !== upload.md5) {
        outcome.corruptAssets += 1;
        if (outcome.examples.corrupt.length < 3) outcome.examples.corrupt.push(upload.id);
      }
    } else if (status === 'failed') {
      outcome.failed += 1;
      const code = view.error?.code ?? 'unknown';
      outcome.failures[code] = (outcome.failures[code] ?? 0) + 1;
      if (outcome.examples.failed.length < 3) outcome.examples.failed.push(`${upload.id} ${code}: ${view.error?.message ?? ''} (attempts ${view.attempts})`);
    } else {
      outcome.lost += 1;
      if (outcome.examples.lost.length < 3) outcome.examples.lost.push(`${upload.id} ${status} (attempts ${view?.attempts ?? '?'})`);
    }
    if (found.length > 1) {
      outcome.duplicateUploads += 1;
      outcome.extraAssets += found.length - 1;
      if (outcome.examples.duplicate.length < 3) outcome.examples.duplicate.push(`${upload.id}: ${found.map((a) => a.public_id).join(', ')}`);
    }
    for (const asset of found) {
      if (asset.writes > 1) {
        outcome.reuploadedAssets += 1;
        outcome.extraWrites += asset.writes - 1;
      }
    }
  }
  return outcome;
}

/** Polls until every id is final (succeeded or failed) or the deadline; calls `onTick` each round. */
export async function waitForSettled(stack, ids, { deadline, signal, everyMs = 250, onTick }) {
  let counts;
  for (;;) {
    counts = await stack.statusCounts(ids).catch(() => counts);
    if (counts) await onTick?.(counts);
    if (counts && counts.succeeded + counts.failed === ids.length) return { settled: true, counts };
    if (Date.now() >= deadline || signal?.aborted) return { settled: false, counts };
    await sleep(everyMs);
  }
}

export { log };
