import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HoistEnv } from '@hoist/config';
import type { FaultSettings } from '@hoist/emulator';
import { LISTENING_MESSAGE, providerSettingsFor, type EmulatedProvider, type EmulatorEnvName } from '@hoist/emulator/config';
import { LOG_MESSAGES } from '@hoist/logger';
import type { OwnDatabase } from './databases.js';
import { PgProxy } from './pg-proxy.js';
import { freePort, TestProcess } from './processes.js';

/** Where a stack keeps its data: a database and a queue prefix of its own, each with its removal. */
export interface StackResources {
  database: () => Promise<OwnDatabase>;
  queue: () => { prefix: string; redisUrl: string; clear: () => Promise<void> };
}

export interface LaunchOptions {
  resources: StackResources;
  /** Part of each process's name and log file (letters, digits, _). Default `stack`. */
  label?: string;
  /** Where each process's output goes, as `<label>-<process>.log`; without it, all output is kept in memory. */
  logDir?: string;
  /** With `logDir`: processes write their logs straight to the files, not through this process (see ProcessOptions.direct). */
  directLogs?: boolean;
  /** The Hoist processes reach Postgres through a PgProxy (`stack.proxy`) that can cut them off. */
  pgProxy?: boolean;
  /** Environment of the API and every worker. */
  env?: HoistEnv;
  /** Extra environment for the API process only (e.g. ADMIN_TOKEN). */
  apiEnv?: HoistEnv;
  /** Extra environment for the workers only. */
  workerEnv?: HoistEnv;
  emulatorEnv?: Partial<Record<EmulatorEnvName, string>>;
  /** The workers' and API's CLOUDINARY_URL given the emulator's URL (e.g. with a wrong secret). */
  cloudinaryUrl?: (emulatorUrl: string) => string;
  /** The providers the stack is configured for, all on its emulator; the first is PROVIDER. Default: Cloudinary. */
  providers?: readonly EmulatedProvider[];
  workers?: number;
  /** How long `stop()` lets a process shut down before SIGKILL, ms. Default 10 s. */
  stopGraceMs?: number;
}

/** What the e2e tests may change about their stack. */
export interface StackOptions {
  /** Overrides for the worker's CLOUDINARY_URL (e.g. a wrong secret). */
  cloudinaryUrl?: (emulatorUrl: string) => string;
  /** The providers the stack is configured for, all on its emulator; the first is PROVIDER. Default: Cloudinary. */
  providers?: readonly EmulatedProvider[];
  /** Environment of the API and the workers. */
  workerEnv?: HoistEnv;
  /** Extra environment for the API process only (e.g. ADMIN_TOKEN). */
  apiEnv?: HoistEnv;
  workers?: number;
}

/** Quick retries and timeouts, so the e2e tests take seconds. */
const TEST_TUNING: HoistEnv = {
  MAX_ATTEMPTS: '4',
  RETRY_BASE_DELAY_MS: '100',
  RETRY_MAX_DELAY_MS: '400',
  RATE_LIMIT_FALLBACK_MS: '500',
  PROVIDER_TIMEOUT_MS: '5000',
  SHUTDOWN_TIMEOUT_MS: '5000',
};

/**
 * The real thing, as separate processes: the emulator, the API and N workers on their own database,
 * queue prefix and temp dirs, on loopback. The one stack starter of the e2e tests and of the drills
 * and benchmarks in scripts/. Everything is stopped and removed by `stop()`.
 */
export class Stack {
  readonly id = randomBytes(3).toString('hex');
  readonly processes: TestProcess[] = [];
  readonly workers: TestProcess[] = [];
  /** Port of each worker's /metrics, /healthz and /readyz, in the order of `workers`. */
  readonly workerMetricsPorts: number[] = [];
  apiUrl = '';
  emulatorUrl = '';
  tmpDir = '';
  /** The database, straight (never through the proxy). */
  databaseUrl = '';
  queuePrefix = '';
  redisUrl = '';
  /** The environment every Hoist process of this stack shares (database, Redis, prefix, temp dir…). */
  env: HoistEnv = {};
  proxy: PgProxy | undefined;
  private workerSeq = 0;
  private apiSeq = 1;
  private cleanups: Array<() => Promise<unknown>> = [];

  constructor(private readonly options: LaunchOptions) {}

  /** The e2e tests' stack: a database cloned from the run's template, a queue prefix of the run's, quick retries. */
  static async start(options: StackOptions = {}): Promise<Stack> {
    // Only the tests have the run's template database and prefix (vitest's inject).
    const { createQueuePrefix, createTestDatabase } = await import('./resources.js');
    return Stack.launch({
      resources: { database: createTestDatabase, queue: createQueuePrefix },
      env: { ...TEST_TUNING, ...options.workerEnv },
      apiEnv: options.apiEnv,
      cloudinaryUrl: options.cloudinaryUrl,
      providers: options.providers,
      workerEnv: { WORKER_CONCURRENCY: '4' },
      workers: options.workers ?? 1,
    });
  }

  /** Starts a stack and waits until every process is ready; on failure, removes what it started. */
  static async launch(options: LaunchOptions): Promise<Stack> {
    const stack = new Stack(options);
    try {
      await stack.boot();
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  get label(): string {
    return this.options.label ?? 'stack';
  }

  /** Starts every process and waits until they are ready. Call `stop()` afterwards, also when this throws. */
  async boot(): Promise<void> {
    const database = await this.options.resources.database();
    this.cleanups.push(database.drop);
    this.databaseUrl = database.url;
    const queue = this.options.resources.queue();
    this.cleanups.push(queue.clear);
    this.queuePrefix = queue.prefix;
    this.redisUrl = queue.redisUrl;
    this.tmpDir = await mkdtemp(join(tmpdir(), `hoist-${this.label}-uploads-`));
    const emulatorDir = await mkdtemp(join(tmpdir(), `hoist-${this.label}-emulator-`));
    const tmpDir = this.tmpDir;
    this.cleanups.push(
      () => rm(tmpDir, { recursive: true, force: true }),
      () => rm(emulatorDir, { recursive: true, force: true }),
    );
    if (this.options.pgProxy) {
      const proxy = await PgProxy.start(database.url);
      this.proxy = proxy;
      this.cleanups.push(() => proxy.shutdown());
    }

    const [emulatorPort, apiPort] = [await freePort(), await freePort()];
    this.emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    const emulator = this.spawn('emulator', 'apps/emulator/dist/main.js', {
      EMULATOR_HOST: '127.0.0.1',
      EMULATOR_PORT: String(emulatorPort),
      EMULATOR_STORAGE_DIR: emulatorDir,
      ...this.options.emulatorEnv,
    });
    this.env = {
      LOG_FORMAT: 'json',
      DATABASE_URL: this.proxy ? this.proxy.urlFor(database.url) : database.url,
      REDIS_URL: queue.redisUrl,
      // No API keys: every request acts for the default tenant.
      AUTH: 'off',
      QUEUE_PREFIX: queue.prefix,
      UPLOAD_TMP_DIR: this.tmpDir,
      ...this.providerSettings(),
      ...this.options.env,
    };
    const api = this.spawn('api', 'apps/api/dist/main.js', { ...this.env, ...this.options.apiEnv, HOST: '127.0.0.1', PORT: String(apiPort) });
    await Promise.all([emulator.waitForOutput(new RegExp(LISTENING_MESSAGE)), api.waitForOutput(readyLine(LOG_MESSAGES.apiReady))]);
    const workers: TestProcess[] = [];
    for (let i = 0; i < (this.options.workers ?? 1); i++) workers.push(await this.startWorker());
    await Promise.all(workers.map((worker) => worker.waitForOutput(readyLine(LOG_MESSAGES.workerReady), 30_000)));
  }

  /** Every configured provider pointed at this stack's emulator, and PROVIDER naming the first. */
  private providerSettings(): HoistEnv {
    const providers = this.options.providers ?? ['cloudinary'];
    const settings: Record<string, string> = Object.assign({ PROVIDER: providers[0] ?? 'cloudinary' }, ...providers.map((provider) => providerSettingsFor(provider, this.emulatorUrl)));
    if (this.options.cloudinaryUrl && providers.includes('cloudinary')) settings['CLOUDINARY_URL'] = this.options.cloudinaryUrl(this.emulatorUrl);
    return settings;
  }

  /** Starts one more worker process against the same database and queue, without waiting for it. */
  async startWorker(): Promise<TestProcess> {
    const metricsPort = await freePort();
    this.workerSeq += 1;
    const worker = this.spawn(`worker-${this.workerSeq}`, 'apps/worker/dist/main.js', {
      ...this.env,
      ...this.options.workerEnv,
      WORKER_METRICS_PORT: String(metricsPort),
    });
    this.workerMetricsPorts.push(metricsPort);
    this.workers.push(worker);
    return worker;
  }

  /** Starts one more worker process and waits until it is ready. */
  async addWorker(): Promise<TestProcess> {
    const worker = await this.startWorker();
    await worker.waitForOutput(readyLine(LOG_MESSAGES.workerReady), 30_000);
    return worker;
  }

  /**
   * Starts one more API process on the same database, Redis, queue prefix and temp dir (another
   * replica behind the same load balancer) and waits until it is ready.
   * @returns its base URL.
   */
  async addApi(): Promise<string> {
    const port = await freePort();
    this.apiSeq += 1;
    const api = this.spawn(`api-${this.apiSeq}`, 'apps/api/dist/main.js', { ...this.env, ...this.options.apiEnv, HOST: '127.0.0.1', PORT: String(port) });
    await api.waitForOutput(readyLine(LOG_MESSAGES.apiReady), 30_000);
    return `http://127.0.0.1:${port}`;
  }

  get liveWorkers(): TestProcess[] {
    return this.workers.filter((worker) => worker.running);
  }

  private spawn(name: string, script: string, env: Record<string, string | undefined>): TestProcess {
    const { logDir } = this.options;
    const child = new TestProcess(name, script, definedOnly(env), logDir ? { logFile: join(logDir, `${this.label}-${name}.log`), keepLines: 300, direct: this.options.directLogs } : {});
    this.processes.push(child);
    return child;
  }

  async emulator(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.emulatorUrl}${path}`, init);
  }

  async setFaults(faults: Partial<FaultSettings>): Promise<void> {
    const response = await this.emulator('/__emulator/faults', {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(faults),
    });
    if (!response.ok) throw new Error(`emulator refused faults: ${response.status} ${await response.text()}`);
  }

  async tempFiles(): Promise<string[]> {
    const entries = await readdir(this.tmpDir, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
  }

  /** Output of every process, for a failing test's report. */
  logs(): string {
    return this.processes.map((p) => `--- ${p.name} ---\n${p.tail(40)}`).join('\n');
  }

  /**
   * Stops every process at once (SIGTERM, then SIGKILL), then removes the database, keys and dirs;
   * safe to call twice. Resolves with what could not be removed (a script reports it; a test need not).
   */
  async stop(): Promise<Error[]> {
    await Promise.all(this.processes.map((p) => p.stop(this.options.stopGraceMs)));
    const cleanups = this.cleanups.reverse();
    this.cleanups = [];
    const failures: Error[] = [];
    for (const cleanup of cleanups) await cleanup().catch((error: unknown) => failures.push(error instanceof Error ? error : new Error(String(error))));
    return failures;
  }
}

/** A line of output carrying `message`. */
function readyLine(message: string): RegExp {
  return new RegExp(message.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
}

function definedOnly(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}
