// What every benchmark shares: the run's settings, a redis-server of its own (so INFO commandstats
// counts only the benchmark's commands), baseline servers started as processes of their own, Hoist
// stacks, and "worst of the rounds" for figures that vary.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOG_MESSAGES } from '@hoist/logger';
import type { HoistEnv } from '@hoist/config';
import { freePort, TestProcess } from '../../test/support/processes.js';
import { onCleanup } from '../lib/lifecycle.js';
import { MeasuredStack } from '../lib/measured-stack.js';
import type { PrivateRedis } from '../lib/private-redis.js';
import type { BenchResult } from './report.js';

export interface BenchContext {
  /** A quick run that only proves every benchmark works end to end (CI); its figures mean little. */
  smoke: boolean;
  /** Rounds of Hoist-then-baseline for figures that vary; the worst round's ratio is reported. */
  rounds: number;
  /** Length of one HTTP load run, seconds. */
  durationS: number;
  logDir: string;
  redis: PrivateRedis;
  /** `pnpm bench …` as invoked, for the results. */
  command: string;
}

export interface Benchmark {
  name: string;
  title: string;
  run: (ctx: BenchContext) => Promise<Omit<BenchResult, 'name' | 'title' | 'command'>>;
}

export interface Baseline {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/** Starts `scripts/bench/baselines/<script>.ts` as a process of its own (node + tsx) and waits until it listens. */
export async function startBaseline(ctx: BenchContext, script: string, env: Record<string, string>): Promise<Baseline> {
  const port = await freePort();
  const child = new TestProcess(
    `baseline-${script}`,
    { command: process.execPath, args: ['--import', 'tsx', `scripts/bench/baselines/${script}.ts`] },
    { ...env, PORT: String(port) },
    { logFile: join(ctx.logDir, `baseline-${script}.log`), keepLines: 200, direct: true },
  );
  const stop = onCleanup(`stop baseline ${script} (pid ${child.pid})`, () => child.stop(5_000));
  await child.waitForOutput(/baseline listening/, 30_000).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop };
}

/** Runs a baseline script that prints one JSON line and exits; resolves with that line. */
export async function runBaselineOnce<T>(ctx: BenchContext, script: string, env: Record<string, string>, timeoutMs = 120_000): Promise<T> {
  const child = new TestProcess(
    `baseline-${script}`,
    { command: process.execPath, args: ['--import', 'tsx', `scripts/bench/baselines/${script}.ts`] },
    env,
    { logFile: join(ctx.logDir, `baseline-${script}.log`), keepLines: 200, direct: true },
  );
  const stop = onCleanup(`stop baseline ${script} (pid ${child.pid})`, () => child.stop(5_000));
  try {
    const line = await child.waitForOutput(/^\{.*\}$/, timeoutMs);
    return JSON.parse(line) as T;
  } finally {
    await stop();
  }
}

/**
 * The benchmarks measure the machinery, not a quota: the tenant's request rate limit (default 1,200
 * a minute) and unfinished-upload cap (default 10,000) would cut every run short.
 */
export const BENCH_TENANT_LIMITS: HoistEnv = { TENANT_RATE_LIMIT_PER_MINUTE: '0', TENANT_MAX_UNFINISHED_UPLOADS: '0' };

/**
 * A Hoist stack (emulator, API, `workers` workers) on a database of its own and the run's private
 * Redis, logging JSON at info level to files as in production.
 */
export async function hoistStack(ctx: BenchContext, label: string, options: { workers?: number; env?: HoistEnv; apiEnv?: HoistEnv; workerEnv?: HoistEnv; emulatorEnv?: Record<string, string> } = {}): Promise<MeasuredStack> {
  return MeasuredStack.start({
    label: `bench_${label}`,
    privateRedisUrl: ctx.redis.url,
    logDir: ctx.logDir,
    // The processes log at info as in production, into files: not through the benchmark's event
    // loop, which is also the load generator's.
    directLogs: true,
    workers: options.workers ?? 0,
    env: { LOG_LEVEL: 'info', ...BENCH_TENANT_LIMITS, ...options.env },
    apiEnv: options.apiEnv,
    workerEnv: options.workerEnv,
    emulatorEnv: options.emulatorEnv,
  });
}

/** The pid of the stack's (first) API process. */
export function apiPid(stack: MeasuredStack): number {
  const api = stack.stack.processes.find((child) => child.name === 'api');
  if (!api) throw new Error('the stack has no API process');
  return api.pid;
}

/** A Hoist API key for `tenant`, made with the CLI (`hoist keys create`) on the stack's database. */
export async function createApiKey(stack: MeasuredStack, tenant: string): Promise<string> {
  const { stdout } = await promisify(execFile)(process.execPath, ['apps/cli/dist/main.js', 'keys', 'create', '--tenant', tenant, '--json'], {
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', DATABASE_URL: stack.stack.databaseUrl, REDIS_URL: stack.stack.redisUrl, QUEUE_PREFIX: stack.stack.queuePrefix },
  });
  return (JSON.parse(stdout) as { key: string }).key;
}

/**
 * Starts one more Hoist process of the stack (`api` or `worker`) with changed environment, e.g. its
 * DATABASE_URL through a statement counter, and waits until it is ready.
 */
export async function extraHoistProcess(ctx: BenchContext, stack: MeasuredStack, kind: 'api' | 'worker', env: HoistEnv): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = new TestProcess(
    `extra-${kind}`,
    `apps/${kind}/dist/main.js`,
    Object.fromEntries(Object.entries({ ...stack.stack.env, ...env, HOST: '127.0.0.1', PORT: String(port), WORKER_METRICS_PORT: String(await freePort()) }).filter((entry): entry is [string, string] => entry[1] !== undefined)),
    { logFile: join(ctx.logDir, `extra-${kind}.log`), keepLines: 200, direct: true },
  );
  const stop = onCleanup(`stop extra ${kind} (pid ${child.pid})`, () => child.stop(10_000));
  await child.waitForOutput(new RegExp(kind === 'api' ? LOG_MESSAGES.apiReady : LOG_MESSAGES.workerReady), 30_000).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url: `http://127.0.0.1:${port}`, pid: child.pid, stop };
}

/**
 * Runs `a` and `b` in an order that alternates with the round (a first in even rounds), so neither
 * always runs on a machine the other has just warmed, filled or left writing back.
 */
export async function inTurn<A, B>(round: number, a: () => Promise<A>, b: () => Promise<B>): Promise<[A, B]> {
  if (round % 2 === 0) {
    const first = await a();
    return [first, await b()];
  }
  const second = await b();
  return [await a(), second];
}

/** Fails a load run with more than 1 % failed requests (10 % in a smoke run, whose runs are tiny), or none that succeeded. */
export function assertClean(ctx: BenchContext, name: string, result: { ok: number; failed: number; statuses: Record<string, number> }): void {
  const allowed = ctx.smoke ? 0.1 : 0.01;
  if (result.ok === 0 || result.failed > (result.ok + result.failed) * allowed) throw new Error(`${name}: ${result.failed} failed of ${result.ok + result.failed} requests (${JSON.stringify(result.statuses)})`);
}

/** The worst of the rounds' figures: the lowest throughput ratio, the highest cost ratio. */
export function worst(values: number[], better: 'higher' | 'lower'): number {
  return better === 'higher' ? Math.min(...values) : Math.max(...values);
}

/** Runs `ctx.rounds` rounds of `round(i)` one after the other and collects their results (see inTurn for the order within a round). */
export async function rounds<T>(ctx: BenchContext, round: (index: number) => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 0; i < ctx.rounds; i++) results.push(await round(i));
  return results;
}
