import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HoistEnv } from '@hoist/config';
import { cloudinaryUrlFor, LISTENING_MESSAGE } from '@hoist/emulator/config';
import { LOG_MESSAGES } from '@hoist/logger';
import { startLocalS3, type LocalS3 } from './local-s3.js';
import { GATEWAY, NetHosts } from './net-hosts.js';
import { freePort, repoRoot, TestProcess } from './processes.js';
import { TcpForwarder } from './tcp-forwarder.js';

export const HOSTS_BUCKET = 'hoist-hosts';
const API_PORT = 3000;

export interface HostsStackOptions {
  /** The database (on loopback) the Hoist processes use, reached through a forwarder. */
  databaseUrl: string;
  /** The Redis (on loopback) they use, reached through a forwarder, and their key prefix there. */
  redisUrl: string;
  queuePrefix: string;
  /** Worker hosts (each a namespace of its own). Default 2. */
  workerHosts?: number;
  /** Worker processes on each worker host. Default 1. */
  workersPerHost?: number;
  /** Environment of the API and every worker (tuning, chunk sizes …). */
  env?: HoistEnv;
  /** Environment of the emulator (e.g. EMULATOR_LATENCY_MS). */
  emulatorEnv?: Record<string, string>;
  /** Where each process's log goes, as `<process>.log`; without it, output is kept in memory only. */
  logDir?: string;
}

const defined = (env: Record<string, string | undefined>): Record<string, string> =>
  Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
const readyLine = (message: string) => new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));

/**
 * Hoist on several hosts of one machine ({@link NetHosts}): the API alone on host `api`, workers on
 * hosts `w1`, `w2` …, each host with its own empty temp dir, none sharing a file system path. They
 * reach the shared services by address over the hosts' bridge: Postgres and Redis through forwarders
 * to loopback, the temp bucket (s3rver) and the Cloudinary emulator listening on {@link GATEWAY}. So
 * an upload's bytes travel API → bucket → worker → emulator. `stop()` removes everything (call it in a finally).
 */
export class HostsStack {
  readonly processes: TestProcess[] = [];
  /** Worker processes by host name. */
  readonly workers = new Map<string, TestProcess[]>();
  /** Temp dir of each host, by host name. */
  readonly tmpDirs = new Map<string, string>();
  net: NetHosts | undefined;
  apiUrl = '';
  emulatorUrl = '';
  private cleanups: Array<() => Promise<unknown>> = [];

  constructor(private readonly options: HostsStackOptions) {}

  /** Starts everything and waits until it is ready; on failure, removes what it started and throws. */
  static async start(options: HostsStackOptions): Promise<HostsStack> {
    const stack = new HostsStack(options);
    try {
      await stack.boot();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get workerHostNames(): string[] {
    return Array.from({ length: this.options.workerHosts ?? 2 }, (_, i) => `w${i + 1}`);
  }

  /** Starts everything and waits until it is ready. Call `stop()` afterwards, also when this throws. */
  async boot(): Promise<void> {
    const net = await NetHosts.create(['api', ...this.workerHostNames]);
    this.net = net;
    this.cleanups.push(() => net.destroy());
    const s3: LocalS3 = await startLocalS3([HOSTS_BUCKET], { address: GATEWAY });
    this.cleanups.push(() => s3.stop());
    const db = new URL(this.options.databaseUrl);
    const redis = new URL(this.options.redisUrl);
    const pgForwarder = await TcpForwarder.start(GATEWAY, { host: db.hostname, port: Number(db.port || 5432) });
    this.cleanups.push(() => pgForwarder.stop());
    const redisForwarder = await TcpForwarder.start(GATEWAY, { host: redis.hostname, port: Number(redis.port || 6379) });
    this.cleanups.push(() => redisForwarder.stop());

    const emulatorDir = await this.dir('emulator');
    const emulatorPort = await freePort();
    this.emulatorUrl = `http://${GATEWAY}:${emulatorPort}`;
    const emulator = this.spawn('emulator', { script: 'apps/emulator/dist/main.js' }, {
      EMULATOR_HOST: GATEWAY,
      EMULATOR_PORT: String(emulatorPort),
      EMULATOR_STORAGE_DIR: emulatorDir,
      ...this.options.emulatorEnv,
    });
    await emulator.waitForOutput(new RegExp(LISTENING_MESSAGE));

    const env: HoistEnv = {
      LOG_FORMAT: 'json',
      AUTH: 'off',
      DATABASE_URL: pgForwarder.urlFor(this.options.databaseUrl),
      REDIS_URL: redisForwarder.urlFor(this.options.redisUrl),
      QUEUE_PREFIX: this.options.queuePrefix,
      TEMP_STORAGE_URL: `s3://${HOSTS_BUCKET}/tmp/`,
      S3_ENDPOINT: s3.endpoint,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      CLOUDINARY_URL: cloudinaryUrlFor(this.emulatorUrl),
      ...this.options.env,
    };
    const apiHost = net.host('api');
    this.apiUrl = `http://${apiHost.address}:${API_PORT}`;
    const api = this.spawn('api', net.node('api', join(repoRoot, 'apps/api/dist/main.js')), {
      ...env,
      UPLOAD_TMP_DIR: await this.hostDir('api'),
      HOST: apiHost.address,
      PORT: String(API_PORT),
    });
    const starting = [api.waitForOutput(readyLine(LOG_MESSAGES.apiReady), 30_000)];
    for (const host of this.workerHostNames) {
      const dir = await this.hostDir(host);
      const workers: TestProcess[] = [];
      for (let i = 1; i <= (this.options.workersPerHost ?? 1); i++) {
        // Ports are per host: every host has its own.
        const worker = this.spawn(`${host}-worker-${i}`, net.node(host, join(repoRoot, 'apps/worker/dist/main.js')), { ...env, UPLOAD_TMP_DIR: dir, WORKER_METRICS_PORT: String(9100 + i) });
        workers.push(worker);
        starting.push(worker.waitForOutput(readyLine(LOG_MESSAGES.workerReady), 30_000));
      }
      this.workers.set(host, workers);
    }
    await Promise.all(starting);
  }

  private async dir(label: string): Promise<string> {
    const dir = await mkdtemp(join(tmpdir(), `hoist-hosts-${label}-`));
    this.cleanups.push(() => rm(dir, { recursive: true, force: true }));
    return dir;
  }

  private async hostDir(host: string): Promise<string> {
    const dir = await this.dir(`${host}-uploads`);
    this.tmpDirs.set(host, dir);
    return dir;
  }

  private spawn(name: string, program: ConstructorParameters<typeof TestProcess>[1], env: Record<string, string | undefined>): TestProcess {
    const { logDir } = this.options;
    const child = new TestProcess(name, program, defined(env), logDir ? { logFile: join(logDir, `${name}.log`), keepLines: 300 } : { keepLines: 2000 });
    this.processes.push(child);
    return child;
  }

  /**
   * SIGKILLs every process running inside host `name`, as when that machine dies (its processes get
   * no chance to clean up). Resolves with how many there were; none runs there afterwards.
   */
  async killHost(name: string): Promise<number> {
    if (!this.net) throw new Error('not started');
    for (const worker of this.workers.get(name) ?? []) worker.stopping = true;
    const killed = await this.net.killAll(name);
    await Promise.all((this.workers.get(name) ?? []).map((worker) => worker.exited));
    return killed;
  }

  /** Files left in host `name`'s temp dir. */
  async tempFiles(name: string): Promise<string[]> {
    const entries = await readdir(this.tmpDirs.get(name) ?? '', { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath, entry.name));
  }

  /** The emulator's assets (public id, MD5 etag, how many times written). */
  async assets(): Promise<Array<{ public_id: string; etag: string; writes: number }>> {
    const response = await fetch(`${this.emulatorUrl}/__emulator/assets`, { signal: AbortSignal.timeout(10_000) });
    return ((await response.json()) as { assets: Array<{ public_id: string; etag: string; writes: number }> }).assets;
  }

  /** Output of every process, for a failing test's report. */
  logs(): string {
    return this.processes.map((p) => `--- ${p.name} ---\n${p.tail(40)}`).join('\n');
  }

  /** Stops every process (SIGTERM, then SIGKILL), then removes the hosts, forwarders, bucket and dirs; safe to call twice. */
  async stop(): Promise<Error[]> {
    await Promise.all(this.processes.map((p) => p.stop(5_000)));
    const cleanups = this.cleanups.reverse();
    this.cleanups = [];
    const failures: Error[] = [];
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => failures.push(error instanceof Error ? error : new Error(String(error))));
    return failures;
  }
}
