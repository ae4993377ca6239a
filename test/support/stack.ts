import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, TestProcess } from './processes.js';
import { createQueuePrefix, createTestDatabase } from './resources.js';

export const EMULATOR_KEY = 'hoist-local-key';
export const EMULATOR_SECRET = 'hoist-local-secret';
export const EMULATOR_CLOUD = 'hoist-local';

export interface StackOptions {
  /** Overrides for the worker's CLOUDINARY_URL (e.g. a wrong secret). */
  cloudinaryUrl?: (emulatorUrl: string) => string;
  workerEnv?: Record<string, string>;
  /** Extra environment for the API process only (e.g. ADMIN_TOKEN). */
  apiEnv?: Record<string, string>;
  workers?: number;
}

/**
 * The real thing, as separate processes: the emulator, the API and N workers on their own database,
 * queue prefix and temp dir. Everything is stopped and removed by `stop()`.
 */
export class Stack {
  readonly processes: TestProcess[] = [];
  readonly workers: TestProcess[] = [];
  /** Port of each worker's /metrics, /healthz and /readyz, in the order of `workers`. */
  readonly workerMetricsPorts: number[] = [];
  apiUrl = '';
  emulatorUrl = '';
  tmpDir = '';
  /** The environment every Hoist process of this stack shares (database, Redis, prefix, temp dir…). */
  env: Record<string, string> = {};
  private cleanups: Array<() => Promise<void>> = [];

  static async start(options: StackOptions = {}): Promise<Stack> {
    const stack = new Stack();
    try {
      await stack.boot(options);
    } catch (error) {
      await stack.stop();
      throw error;
    }
    return stack;
  }

  private async boot(options: StackOptions): Promise<void> {
    const database = await createTestDatabase();
    this.cleanups.push(database.drop);
    const queue = createQueuePrefix();
    this.cleanups.push(queue.clear);
    this.tmpDir = await mkdtemp(join(tmpdir(), 'hoist-e2e-'));
    const emulatorDir = await mkdtemp(join(tmpdir(), 'hoist-e2e-emulator-'));
    this.cleanups.push(() => rm(this.tmpDir, { recursive: true, force: true }), () => rm(emulatorDir, { recursive: true, force: true }));

    const [emulatorPort, apiPort] = await Promise.all([freePort(), freePort()]);
    this.emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    this.apiUrl = `http://127.0.0.1:${apiPort}`;
    const emulator = this.spawn('emulator', 'apps/emulator/dist/main.js', {
      EMULATOR_HOST: '127.0.0.1',
      EMULATOR_PORT: String(emulatorPort),
      EMULATOR_STORAGE_DIR: emulatorDir,
    });
    const cloudinaryUrl = `cloudinary://${EMULATOR_KEY}:${EMULATOR_SECRET}@${EMULATOR_CLOUD}?upload_prefix=${this.emulatorUrl}`;
    this.env = {
      DATABASE_URL: database.url,
      REDIS_URL: queue.redisUrl,
      AUTH: 'off',
      QUEUE_PREFIX: queue.prefix,
      UPLOAD_TMP_DIR: this.tmpDir,
      CLOUDINARY_URL: options.cloudinaryUrl ? options.cloudinaryUrl(this.emulatorUrl) : cloudinaryUrl,
      MAX_ATTEMPTS: '4',
      RETRY_BASE_DELAY_MS: '100',
      RETRY_MAX_DELAY_MS: '400',
      RATE_LIMIT_FALLBACK_MS: '500',
      PROVIDER_TIMEOUT_MS: '5000',
      SHUTDOWN_TIMEOUT_MS: '5000',
      ...options.workerEnv,
    };
    const api = this.spawn('api', 'apps/api/dist/main.js', { ...this.env, ...options.apiEnv, HOST: '127.0.0.1', PORT: String(apiPort) });
    await Promise.all([emulator.waitForOutput(/listening|ready/i), api.waitForOutput(/api ready/)]);
    for (let i = 0; i < (options.workers ?? 1); i++) await this.addWorker();
  }

  /** Starts one more worker process against the same database and queue. */
  async addWorker(): Promise<TestProcess> {
    const metricsPort = await freePort();
    const worker = this.spawn(`worker-${this.workers.length + 1}`, 'apps/worker/dist/main.js', {
      ...this.env,
      WORKER_CONCURRENCY: '4',
      WORKER_METRICS_PORT: String(metricsPort),
    });
    this.workerMetricsPorts.push(metricsPort);
    this.workers.push(worker);
    await worker.waitForOutput(/worker ready/);
    return worker;
  }

  private spawn(name: string, script: string, env: Record<string, string>): TestProcess {
    const child = new TestProcess(name, script, env);
    this.processes.push(child);
    return child;
  }

  async emulator(path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${this.emulatorUrl}${path}`, init);
  }

  async setFaults(faults: unknown): Promise<void> {
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

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    for (const cleanup of this.cleanups.reverse()) await cleanup().catch(() => undefined);
    this.cleanups = [];
  }
}
