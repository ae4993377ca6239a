// Failure drills: uploads that got a 202 must end succeeded, as exactly one asset each, whatever
// fails while they are in flight.
//
//   pnpm build && pnpm drill [--uploads=200] [--only=kill,flush,crashflush,postgres]
//
// Each drill starts a fresh stack (own database, queue prefix and temp dirs; the emulator with some
// latency so uploads are in flight; the API; 3 workers; all on loopback), posts N distinct small PNGs
// at a steady pace, and while they are in flight:
//   kill      SIGKILLs a random worker every few seconds and starts a replacement, until every
//             accepted upload is final or time runs out (stalled-job recovery must pick the jobs up);
//   flush     FLUSHALL on Redis once about half the uploads are accepted. Only ever on a private
//             redis-server this drill starts (no persistence, loopback); without a redis-server binary
//             it deletes every key under the drill's own prefix in REDIS_URL instead. The reconciler
//             (RECONCILE_INTERVAL_MS=1000, RECONCILE_STALE_AFTER_MS=2000) must re-enqueue what was lost;
//   crashflush workers in a crash loop (each SIGKILLed --crash-after, 2–5 s, after it started and replaced at
//             once, so none lives anywhere near RECONCILE_INTERVAL_MS, which keeps its production 30 s here,
//             as does RECONCILE_STALE_AFTER_MS's 2 min) and, once about half the uploads are accepted,
//             FLUSHALL as in the flush drill. Only the reconciler's start-up run and the queue-loss marker
//             can bring the lost jobs back; it also measures how long until every unfinished accepted
//             upload has a job again (target: within 60 s of the flush). 300 uploads unless --uploads;
//   postgres  cuts Postgres for --outage (5 s): the Hoist processes reach Postgres through a TCP proxy
//             of this script; at the cut (mid-run, right after some process sent a query, so one is in
//             flight, as when Postgres fails under load; --cut=any drops that timing) it resets every
//             proxied connection and stops listening (connections refused), then listens again. The
//             API answers 503 to uploads meanwhile (counted as "refused during outage": never
//             accepted; the client posts them again after the outage, as the README tells clients
//             to), and workers wait.
// Then it compares what was promised with what happened: final statuses through the API (read from
// Postgres instead if the API no longer answers), and the emulator's assets (one per upload, bytes as
// sent). Targets: lost = 0, duplicate assets = 0, failed = 0, plus: the fault did happen, no asset
// missing or corrupt, and no Hoist process died by itself. A re-upload of the same public id (an
// asset written twice, e.g. after a crash between the provider's answer and the database write) is
// expected and reported, not a duplicate; so are stray assets of uploads whose 202 never arrived.
//
// Bounded: each drill gives up after --drill-timeout (default 150 s); the whole run after the sum plus
// a margin. Everything created is removed at the end; process logs are kept (path printed) when a
// target is missed, or always with --keep-logs.
import { availableParallelism } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import type { HoistEnv } from '@hoist/config';
import { UPLOAD_LOG_MESSAGES } from '@hoist/core';
import { LOG_MESSAGES } from '@hoist/logger';
import { Redis } from 'ioredis';
import { postUpload } from '../test/support/api-client.js';
import { makePng } from '../test/support/fixtures.js';
import type { TestProcess } from '../test/support/processes.js';
import { deleteKeys } from '../test/support/redis-keys.js';
import { commandLine, fmtSeconds, log, parseDuration, parseNames, parseOrExit, parsePositive, setLogTag, table, UsageError } from './lib/cli.js';
import { abortSignal, runPhases, runScript, throwIfAborted } from './lib/lifecycle.js';
import { crashes, logEntries, logReport, summarizeLog, type LogEntry } from './lib/logs.js';
import { MeasuredStack, md5 } from './lib/measured-stack.js';
import { assess, exampleLines, waitForSettled, type Accepted, type Outcome } from './lib/outcome.js';
import { startPrivateRedis, type PrivateRedis } from './lib/private-redis.js';

setLogTag('drill');

const DRILLS = {
  kill: 'kill: SIGKILL a random worker every few seconds',
  flush: 'flush: FLUSHALL Redis mid-run',
  crashflush: 'crashflush: workers in a crash loop, and FLUSHALL Redis mid-run',
  postgres: 'postgres: cut Postgres mid-run',
};
type DrillName = keyof typeof DRILLS;
const DRILL_NAMES = Object.keys(DRILLS) as DrillName[];

const USAGE = [
  'usage: pnpm drill [--uploads=200] [--only=kill,flush,crashflush,postgres] [--workers=3] [--concurrency=4]',
  '                  [--latency=1s] [--submit-rate=40] [--kill-every=3s] [--crash-after=2s-5s] [--outage=5s] [--cut=busy]',
  '                  [--drill-timeout=150s] [--keep-logs]',
  '  --uploads        uploads per drill (default 200; crashflush 300)',
  '  --only           which drills, comma-separated (default all four)',
  '  --workers        worker processes; --concurrency: WORKER_CONCURRENCY of each',
  '  --latency        emulator latency per upload request (so uploads are in flight when things break)',
  '  --submit-rate    uploads posted per second',
  '  --kill-every     kill drill: time between two SIGKILLs',
  '  --crash-after    crashflush drill: each worker is SIGKILLed this long after it started (a range: drawn at random)',
  '  --outage         postgres drill: how long Postgres stays unreachable',
  '  --cut            postgres drill: busy (default) cuts right after a Hoist process sent a query, so one is',
  '                   in flight, as when Postgres fails under load; any cuts at whatever moment mid-run comes',
  '  --drill-timeout  a drill gives up (and counts what is unfinished as lost) after this long',
  'Needs `pnpm build` first, Postgres (DATABASE_URL) and Redis (REDIS_URL) on loopback; the flush drill',
  'starts its own redis-server when there is one.',
].join('\n');

const options = parseOrExit(
  'drill',
  {
    uploads: { default: 200, parse: (v, f) => parsePositive(v, f, { max: 100_000 }) },
    only: { default: DRILL_NAMES, parse: (v, f) => parseNames(v, f, DRILL_NAMES, 'drill') },
    workers: { default: 3, parse: (v, f) => parsePositive(v, f, { max: 32 }) },
    concurrency: { default: 4, parse: (v, f) => parsePositive(v, f, { max: 1000 }) },
    latency: { default: 1_000, parse: parseDuration },
    'submit-rate': { default: 40, parse: (v, f) => parsePositive(v, f, { integer: false, max: 10_000 }) },
    'kill-every': { default: 3_000, parse: parseDuration },
    'crash-after': {
      default: [2_000, 5_000] as [number, number],
      parse: (v, f): [number, number] => {
        const [low = 0, high = low] = v.split('-').map((part) => parseDuration(part, f));
        if (high < low) throw new UsageError(`${f}: a range low-high, e.g. 2s-5s`);
        return [low, high];
      },
    },
    outage: { default: 5_000, parse: parseDuration },
    cut: {
      default: 'busy',
      parse: (v, f) => {
        if (v !== 'busy' && v !== 'any') throw new UsageError(`${f}: busy or any`);
        return v;
      },
    },
    'drill-timeout': { default: 150_000, parse: parseDuration },
    'keep-logs': { default: false, boolean: true },
  },
  USAGE,
);

// The environment every Hoist process of a drill gets: fast recovery so a drill takes seconds, not
// the production minutes.
const HOIST_ENV: HoistEnv = {
  RECONCILE_INTERVAL_MS: '1000',
  RECONCILE_STALE_AFTER_MS: '2000',
  WORKER_LOCK_DURATION_MS: '2000',
  RETRY_BASE_DELAY_MS: '200',
  RETRY_MAX_DELAY_MS: '2000',
  RATE_LIMIT_FALLBACK_MS: '1000',
  PROVIDER_TIMEOUT_MS: '15000',
  SHUTDOWN_TIMEOUT_MS: '3000',
};

// The crashflush drill keeps the reconciler's production schedule: a worker that lives a few seconds
// never reaches its first periodic run, so only the start-up run and the queue-loss marker can help.
const CRASHFLUSH_ENV = { RECONCILE_INTERVAL_MS: '30000', RECONCILE_STALE_AFTER_MS: '120000' } satisfies HoistEnv;
/** Uploads per drill when --uploads is not given. */
const DEFAULT_UPLOADS: Partial<Record<DrillName, number>> = { crashflush: 300 };
const uploadsGiven = process.argv.slice(2).some((arg) => arg.startsWith('--uploads'));
const uploadsFor = (name: DrillName) => (uploadsGiven ? options.uploads : (DEFAULT_UPLOADS[name] ?? options.uploads));
/** How soon after the flush every unfinished accepted upload must have a job again (issue 10). */
const RECOVERY_TARGET_MS = 60_000;

// Log lines worth counting in a drill's report, spelled where they are logged (LOG_MESSAGES,
// UPLOAD_LOG_MESSAGES), so a rename there changes them here too.
const EVIDENCE: Array<[string, (entry: LogEntry) => boolean]> = [
  ['succeeded on a later attempt', (e) => e.msg === UPLOAD_LOG_MESSAGES.succeeded && Number(e.attempt) > 1],
  ['re-enqueued by the reconciler', (e) => e.msg === UPLOAD_LOG_MESSAGES.reEnqueued],
  ['queue losses recovered (marker)', (e) => e.msg === LOG_MESSAGES.queueStoreLost && Number(e.requeued) > 0],
  ['runs taken over after a worker died', (e) => e.msg === UPLOAD_LOG_MESSAGES.takenOver],
  ['waits for the database', (e) => e.msg === LOG_MESSAGES.databaseUnavailable],
  ['provider calls retried', (e) => e.msg === UPLOAD_LOG_MESSAGES.providerCallRetried],
  ['runs that lost their upload to another', (e) => e.msg === UPLOAD_LOG_MESSAGES.noLongerOwned],
  ['errors (level >= 50)', (e) => e.level >= 50],
];

interface Kill {
  at: number;
  worker: string;
  pid: number;
  livedMs?: number;
}
interface FlushFault {
  at: number;
  accepted: number;
  keys: number;
  how: string;
  maxMissing?: number;
  recoveredMs?: number;
}
type Fault =
  | { kind: 'kill'; kills: Kill[]; replacementsReady: number; replacementFailures: string[] }
  | ({ kind: 'flush' } & FlushFault)
  | { kind: 'crashflush'; kills: Kill[]; flush?: FlushFault }
  | { kind: 'postgres'; at: number; timing: string; endedAt: number; dropped: number; acceptedBefore: number; acceptedDuring: number; refusedDuring: number };

interface DrillState {
  uploads: number;
  origin: number;
  posted: number;
  accepted: Array<Accepted & { index: number; at: number }>;
  refused: number;
  refusedFiles: Set<number>;
  rejected: Record<string, number>;
  done: boolean;
  outage: boolean;
  fault: Fault | undefined;
}

// ------------------------------------------------------------------------------------- submission

/**
 * Posts the files at `rate` per second, at most `concurrency` at a time. A 503 (a dependency is down)
 * is retried every second until `retryUntil`, as a client should; anything else is final.
 */
function startSubmitting(
  stack: MeasuredStack,
  files: Buffer[],
  { rate, concurrency = 16, retryUntil, state }: { rate: number; concurrency?: number; retryUntil: () => number; state: DrillState },
): Promise<void> {
  const origin = Date.now();
  let running = 0;
  const slots: Array<() => void> = [];
  const acquire = async () => {
    while (running >= concurrency) await new Promise<void>((resolve) => slots.push(resolve));
    running += 1;
  };
  const release = () => {
    running -= 1;
    slots.shift()?.();
  };

  const submitOne = async (bytes: Buffer, index: number) => {
    for (;;) {
      let response: { status: number | string; body?: unknown };
      try {
        response = await postUpload(stack.stack.apiUrl, bytes, `drill-${index}.png`);
      } catch (error) {
        response = { status: `error: ${error instanceof Error ? error.message : String(error)}` };
      }
      const id = acceptedId(response);
      if (id) {
        state.accepted.push({ id, md5: md5(bytes), index, at: Date.now() });
        return;
      }
      if (response.status === 503) {
        state.refused += 1;
        state.refusedFiles.add(index);
        if (Date.now() < retryUntil() && !abortSignal.aborted) {
          await sleep(1_000);
          continue;
        }
      }
      const key = String(response.status);
      state.rejected[key] = (state.rejected[key] ?? 0) + 1;
      return;
    }
  };

  return (async () => {
    const tasks: Array<Promise<void>> = [];
    for (let i = 0; i < files.length; i++) {
      const due = origin + (i * 1000) / rate;
      if (due > Date.now()) await sleep(due - Date.now());
      if (abortSignal.aborted) break;
      await acquire();
      state.posted += 1;
      tasks.push(submitOne(files[i]!, i).finally(release));
    }
    await Promise.all(tasks);
  })();
}

/** The upload id of a 202 answer, else undefined. */
function acceptedId(response: { status: number | string; body?: unknown }): string | undefined {
  const body = response.body as { id?: unknown } | undefined;
  return response.status === 202 && typeof body?.id === 'string' ? body.id : undefined;
}

async function succeededCount(stack: MeasuredStack): Promise<number> {
  const { rows } = await stack.pool.query<{ n: number }>("select count(*)::int as n from upload where status = 'succeeded'");
  return rows[0]?.n ?? 0;
}

/** Resolves once about half the uploads are accepted and some have succeeded (or after `maxMs`). */
async function midRun(stack: MeasuredStack, state: DrillState, { maxMs = 30_000 } = {}): Promise<void> {
  const until = Date.now() + maxMs;
  while (Date.now() < until && !abortSignal.aborted) {
    const half = state.accepted.length >= Math.ceil(state.uploads / 2);
    if (half && (await succeededCount(stack).catch(() => 0)) >= Math.min(10, Math.ceil(state.uploads / 10))) return;
    await sleep(100);
  }
}

// ----------------------------------------------------------------------------------------- faults

/** Kill drill: SIGKILL a random live worker every `killEvery`, start a replacement, until `state.done`. */
async function killLoop(stack: MeasuredStack, state: DrillState): Promise<void> {
  const fault: Fault & { kind: 'kill' } = { kind: 'kill', kills: [], replacementsReady: 0, replacementFailures: [] };
  state.fault = fault;
  while (!state.done && !abortSignal.aborted) {
    const until = Date.now() + options.killEvery;
    while (Date.now() < until && !state.done && !abortSignal.aborted) await sleep(100);
    if (state.done || abortSignal.aborted) break;
    const live = stack.stack.liveWorkers;
    const victim = live[Math.floor(Math.random() * live.length)];
    if (!victim) continue;
    victim.kill('SIGKILL');
    fault.kills.push({ at: Date.now() - state.origin, worker: victim.name, pid: victim.pid });
    log(`  ${fmtSeconds(Date.now() - state.origin)}: SIGKILL ${victim.name} (pid ${victim.pid}); starting a replacement`);
    try {
      await stack.stack.addWorker();
      fault.replacementsReady += 1;
    } catch (error) {
      fault.replacementFailures.push(error instanceof Error ? error.message : String(error));
    }
  }
}

/** Flush drills: FLUSHALL on the private Redis (or delete the drill's keys) once mid-run. */
async function flushOnce(stack: MeasuredStack, state: DrillState, privateRedis: PrivateRedis | undefined): Promise<FlushFault | undefined> {
  await midRun(stack, state);
  if (abortSignal.aborted) return undefined;
  const at = Date.now() - state.origin;
  const accepted = state.accepted.length;
  let fault: FlushFault;
  if (privateRedis) {
    const redis = new Redis(privateRedis.url, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    redis.on('error', () => undefined);
    try {
      const keys = await redis.dbsize();
      await redis.flushall();
      fault = { at, accepted, keys, how: `FLUSHALL on the drill's private redis-server (${privateRedis.url}, pid ${privateRedis.pid})` };
    } finally {
      redis.disconnect();
    }
  } else {
    const { redisUrl, queuePrefix } = stack.stack;
    const keys = await deleteKeys(redisUrl, `${queuePrefix}:*`);
    fault = { at, accepted, keys, how: `no redis-server binary: deleted every key under ${queuePrefix}:* in ${redisUrl} instead of FLUSHALL` };
  }
  log(`  ${fmtSeconds(at)}: ${fault.how}: ${fault.keys} keys gone (${accepted} uploads accepted so far)`);
  return fault;
}

/**
 * Crashflush drill: every worker is SIGKILLed a random --crash-after after it started and replaced at
 * once, until `state.done`; so no worker lives long enough for a periodic reconciler run.
 */
async function crashLoop(stack: MeasuredStack, state: DrillState, kills: Kill[]): Promise<void> {
  const [low, high] = options.crashAfter;
  const lifetime = () => low + Math.random() * (high - low);
  const deadlines = new Map<TestProcess, number>(stack.stack.liveWorkers.map((worker) => [worker, Date.now() + lifetime()]));
  while (!state.done && !abortSignal.aborted) {
    await sleep(100);
    for (const [worker, killAt] of deadlines) {
      if (state.done || abortSignal.aborted || Date.now() < killAt) continue;
      deadlines.delete(worker);
      if (!worker.running) continue;
      worker.kill('SIGKILL');
      kills.push({ at: Date.now() - state.origin, worker: worker.name, pid: worker.pid, livedMs: Date.now() - worker.startedAt });
      const replacement = await stack.stack.startWorker();
      deadlines.set(replacement, Date.now() + lifetime());
    }
  }
}

/**
 * After the flush: how long until every accepted upload that is not final has a job in Redis again
 * (its BullMQ job hash exists), polled every 250 ms. Sets `fault.recoveredMs` (from the flush), or
 * leaves it undefined when that never happened before `deadline`.
 */
async function watchRecovery(stack: MeasuredStack, state: DrillState, fault: FlushFault, deadline: number): Promise<void> {
  const redis = new Redis(stack.stack.redisUrl, { maxRetriesPerRequest: 1, connectTimeout: 5_000 });
  redis.on('error', () => undefined);
  const flushedAt = state.origin + fault.at;
  try {
    while (Date.now() < deadline && !abortSignal.aborted) {
      const ids = state.accepted.map((upload) => upload.id);
      const rows = await stack.pool
        .query<{ id: string }>("select id from upload where id = any($1::uuid[]) and status in ('queued', 'processing')", [ids])
        .then(
          (result) => result.rows,
          () => undefined,
        );
      if (rows) {
        const pipeline = redis.pipeline();
        for (const row of rows) pipeline.exists(`${stack.stack.queuePrefix}:uploads:${row.id}`);
        const answers = rows.length ? await pipeline.exec().catch(() => undefined) : [];
        const missing = answers?.filter(([error, exists]) => error || exists !== 1).length;
        if (missing !== undefined) {
          fault.maxMissing = Math.max(fault.maxMissing ?? 0, missing);
          if (missing === 0) {
            fault.recoveredMs = Date.now() - flushedAt;
            log(`  ${fmtSeconds(Date.now() - state.origin)}: every unfinished upload has a job again, ${fmtSeconds(fault.recoveredMs)} after the flush (${fault.maxMissing} were missing one)`);
            return;
          }
        }
      }
      await sleep(250);
    }
  } finally {
    redis.disconnect();
  }
}

/** Postgres drill: cut the proxy for `outage`, then resume. */
async function cutPostgres(stack: MeasuredStack, state: DrillState): Promise<void> {
  const proxy = stack.stack.proxy;
  if (!proxy) throw new Error('the postgres drill needs a stack behind a PgProxy');
  await midRun(stack, state);
  if (abortSignal.aborted) return;
  const at = Date.now() - state.origin;
  const acceptedBefore = state.accepted.length;
  const refusedBefore = state.refused;
  state.outage = true;
  const timing = await proxy.cut({ whenBusy: options.cut === 'busy' });
  const dropped = proxy.destroyedAtCut;
  log(`  ${fmtSeconds(at)}: Postgres cut ${timing} (${dropped} connections reset, new ones refused) for ${fmtSeconds(options.outage)}`);
  const until = Date.now() + options.outage;
  while (Date.now() < until && !abortSignal.aborted) await sleep(100);
  await proxy.resume();
  state.outage = false;
  const endedAt = Date.now() - state.origin;
  state.fault = {
    kind: 'postgres',
    at,
    timing,
    endedAt,
    dropped,
    acceptedBefore,
    acceptedDuring: state.accepted.length - acceptedBefore,
    refusedDuring: state.refused - refusedBefore,
  };
  log(`  ${fmtSeconds(endedAt)}: Postgres back (proxy listening again on ${proxy.port})`);
}

// ------------------------------------------------------------------------------------------ drill

interface Check {
  what: string;
  value: string | number;
  pass: boolean;
}

interface DrillResult {
  name: DrillName;
  accepted: number;
  posted: number;
  refused: number;
  refusedFiles: number;
  rejected: Record<string, number>;
  submittedMs: number;
  settled: boolean;
  settledMs: number;
  outcome: Outcome;
  fault: Fault | undefined;
  privateRedis: boolean;
  stats: Awaited<ReturnType<MeasuredStack['emulatorStats']>>;
  unacceptedRows: number;
  tempFilesLeft: number;
  evidence: Record<string, number>;
  warnings: Array<[string, number]>;
  crashes: ReturnType<typeof crashes>;
  statusesFromPostgres: number;
  attempts: number;
  workersStarted: number;
  reclaims: number;
  checks: Check[];
  logReport?: string;
}

async function runDrill(name: DrillName, logDir: string): Promise<DrillResult> {
  log(`drill ${DRILLS[name]}: starting`);
  let privateRedis: PrivateRedis | undefined;
  if (name === 'flush' || name === 'crashflush') {
    privateRedis = await startPrivateRedis({ logDir });
    if (!privateRedis) log('no redis-server binary: the flush drill deletes the keys under its own prefix instead of FLUSHALL');
  }
  const stack = await MeasuredStack.start({
    label: `drill_${name}`,
    logDir,
    workers: options.workers,
    privateRedisUrl: privateRedis?.url,
    pgProxy: name === 'postgres',
    emulatorEnv: { EMULATOR_LATENCY_MS: String(options.latency) },
    env: name === 'crashflush' ? { ...HOIST_ENV, ...CRASHFLUSH_ENV } : HOIST_ENV,
    workerEnv: { WORKER_CONCURRENCY: String(options.concurrency) },
  });
  const { stack: processes } = stack;
  const state: DrillState = {
    uploads: uploadsFor(name),
    origin: Date.now(),
    posted: 0,
    accepted: [],
    refused: 0,
    refusedFiles: new Set(),
    rejected: {},
    done: false,
    outage: false,
    fault: undefined,
  };
  try {
    log(
      `drill ${name}: database ${stack.databaseName}${processes.proxy ? ` (via proxy 127.0.0.1:${processes.proxy.port})` : ''}, queue prefix ${processes.queuePrefix}, ` +
        `redis ${processes.redisUrl}, api ${processes.apiUrl}, emulator ${processes.emulatorUrl} (latency ${options.latency} ms)`,
    );
    const files = Array.from({ length: state.uploads }, (_, i) => makePng(16, 16, i, { text: `hoist measurement upload ${processes.queuePrefix}-${i}` }));
    const deadline = Date.now() + options.drillTimeout;
    state.origin = Date.now();

    // Refused uploads are posted again until the fault is over (plus a margin), never past the deadline.
    let faultOverAt: number | undefined;
    const submitting = startSubmitting(stack, files, {
      rate: options.submitRate,
      retryUntil: () => Math.min(deadline - 10_000, faultOverAt === undefined ? Infinity : faultOverAt + 30_000),
      state,
    });
    const fault = (async () => {
      switch (name) {
        case 'kill':
          await killLoop(stack, state);
          break;
        case 'flush': {
          const flushed = await flushOnce(stack, state, privateRedis);
          if (flushed) state.fault = { kind: 'flush', ...flushed };
          break;
        }
        case 'crashflush': {
          const crashFault: Fault & { kind: 'crashflush' } = { kind: 'crashflush', kills: [] };
          state.fault = crashFault;
          const crashing = crashLoop(stack, state, crashFault.kills);
          crashFault.flush = await flushOnce(stack, state, privateRedis);
          // The crash loop goes on until everything settled; the fault counts as over once the lost jobs are back.
          if (crashFault.flush) await watchRecovery(stack, state, crashFault.flush, deadline);
          faultOverAt = Date.now();
          await crashing;
          break;
        }
        case 'postgres':
          await cutPostgres(stack, state);
          break;
      }
      faultOverAt = Date.now();
    })();
    fault.catch(() => undefined);

    await submitting;
    const submittedMs = Date.now() - state.origin;
    log(`drill ${name}: ${state.accepted.length} of ${files.length} accepted after ${fmtSeconds(submittedMs)}; waiting for them to settle`);

    let lastReport = 0;
    const ids = state.accepted.map((upload) => upload.id);
    // The flush and postgres faults happen once; wait for them to be over before judging "settled".
    if (name === 'flush' || name === 'postgres') await Promise.race([fault, sleep(Math.max(0, deadline - Date.now()))]);
    const { settled } = await waitForSettled(stack, ids, {
      deadline,
      signal: abortSignal,
      everyMs: 250,
      onTick: (counts) => {
        if (Date.now() - lastReport < 5_000) return;
        lastReport = Date.now();
        log(`  ${fmtSeconds(Date.now() - state.origin)}: ${JSON.stringify(counts)}`);
      },
    });
    const settledMs = Date.now() - state.origin;
    state.done = true;
    await fault;
    throwIfAborted();

    const assets = await stack.emulatorAssets();
    const views = await stack.views(ids);
    const stats = await stack.emulatorStats();
    const outcome = assess({ accepted: state.accepted, views, assets });
    const rowIds = new Set(await stack.allRowIds());
    const acceptedIds = new Set(ids);
    const unacceptedRows = [...rowIds].filter((id) => !acceptedIds.has(id)).length;
    const tempFilesLeft = (await processes.tempFiles()).length;
    const viewList = [...views.values()];

    const result: DrillResult = {
      name,
      accepted: state.accepted.length,
      posted: files.length,
      refused: state.refused,
      refusedFiles: state.refusedFiles.size,
      rejected: state.rejected,
      submittedMs,
      settled,
      settledMs,
      outcome,
      fault: state.fault,
      privateRedis: Boolean(privateRedis),
      stats,
      unacceptedRows,
      tempFilesLeft,
      evidence: await collectEvidence(processes.processes),
      warnings: topWarnings(processes.processes),
      crashes: crashes(processes.processes),
      statusesFromPostgres: viewList.filter((view) => view.source === 'postgres').length,
      attempts: viewList.reduce((sum, view) => sum + (Number(view.attempts) || 0), 0),
      workersStarted: processes.workers.length,
      reclaims: viewList.reduce((sum, view) => sum + (Number(view.reclaims) || 0), 0),
      checks: [],
    };
    result.checks = checksOf(result);
    if (!result.checks.every((check) => check.pass)) result.logReport = logReport(processes.processes);
    return result;
  } catch (error) {
    if (!abortSignal.aborted) log(`drill ${name} broke off; the processes' logs:\n${logReport(processes.processes)}`);
    throw error;
  } finally {
    state.done = true;
    log(`drill ${name}: stopping the stack and removing its database, keys and dirs`);
    await stack.stop();
    await privateRedis?.stop();
  }
}

/** Counts of telling log lines across the stack's processes (whole log files). */
async function collectEvidence(processes: TestProcess[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = Object.fromEntries(EVIDENCE.map(([label]) => [label, 0]));
  for (const entry of await logEntries(processes)) {
    for (const [label, test] of EVIDENCE) if (test(entry)) counts[label] = (counts[label] ?? 0) + 1;
  }
  return counts;
}

/** The most frequent warnings and errors, by kind of process (all workers together). */
function topWarnings(processes: TestProcess[], top = 6): Array<[string, number]> {
  const merged = new Map<string, number>();
  for (const child of processes) {
    const kind = child.name.replace(/-\d+$/, '');
    for (const [message, count] of summarizeLog(child.logFile, { top: 1000 }).counts) {
      const key = `${kind}: ${message}`;
      merged.set(key, (merged.get(key) ?? 0) + count);
    }
  }
  return [...merged.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
}

function killsOf(fault: Fault | undefined): Kill[] {
  return fault?.kind === 'kill' || fault?.kind === 'crashflush' ? fault.kills : [];
}

function checksOf(result: DrillResult): Check[] {
  const { outcome, fault } = result;
  const kills = killsOf(fault);
  const flush = fault?.kind === 'crashflush' ? fault.flush : undefined;
  const faulted = result.name === 'kill' ? kills.length > 0 : result.name === 'crashflush' ? kills.length > 0 && flush !== undefined : fault !== undefined;
  const recovery: Check[] =
    result.name === 'crashflush'
      ? [
          {
            what: `lost jobs back within ${fmtSeconds(RECOVERY_TARGET_MS)} of the flush`,
            value: flush?.recoveredMs === undefined ? 'never' : fmtSeconds(flush.recoveredMs),
            pass: flush?.recoveredMs !== undefined && flush.recoveredMs <= RECOVERY_TARGET_MS,
          },
          {
            what: 'no worker lived to a periodic reconciler run',
            value: `longest ${fmtSeconds(Math.max(0, ...kills.map((k) => k.livedMs ?? 0)))}`,
            pass: kills.every((k) => (k.livedMs ?? 0) < Number(CRASHFLUSH_ENV.RECONCILE_INTERVAL_MS) * 0.8),
          },
        ]
      : [];
  return [
    { what: 'the fault hit while uploads were in flight', value: faulted ? 'yes' : 'no', pass: faulted },
    ...recovery,
    { what: 'lost = 0', value: outcome.lost, pass: outcome.lost === 0 },
    { what: 'duplicate assets = 0', value: outcome.extraAssets, pass: outcome.extraAssets === 0 },
    { what: 'failed = 0', value: outcome.failed, pass: outcome.failed === 0 },
    {
      what: 'assets intact (missing/corrupt = 0)',
      value: `${outcome.missingAssets}/${outcome.corruptAssets}`,
      pass: outcome.missingAssets + outcome.corruptAssets === 0,
    },
    {
      what: 'no Hoist process crashed',
      value: result.crashes.length ? result.crashes.map((c) => c.name.replace(/^drill_\w+?-/, '')).join(', ') : 'none',
      pass: result.crashes.length === 0,
    },
  ];
}

// ----------------------------------------------------------------------------------------- report

function faultShort(result: DrillResult): string {
  const f = result.fault;
  if (!f) return 'did not happen';
  switch (f.kind) {
    case 'kill':
      return `${f.kills.length} SIGKILLs`;
    case 'crashflush':
      return `${f.kills.length} SIGKILLs; ${f.flush ? `FLUSHALL at ${fmtSeconds(f.flush.at)}` : 'no flush'}`;
    case 'flush':
      return `${result.privateRedis ? 'FLUSHALL' : 'keys deleted'} at ${fmtSeconds(f.at)}`;
    case 'postgres':
      return `cut ${fmtSeconds(f.at)} → ${fmtSeconds(f.endedAt)}`;
  }
}

function faultText(result: DrillResult): string {
  const f = result.fault;
  if (!f) return 'did not happen';
  switch (f.kind) {
    case 'kill': {
      const kills = f.kills.map((k) => `${fmtSeconds(k.at)} ${k.worker}`).join(', ');
      return `${f.kills.length} SIGKILLs every ${fmtSeconds(options.killEvery)} (${kills}), ${f.replacementsReady} replacements started and ready${f.replacementFailures.length ? `, ${f.replacementFailures.length} did not start: ${f.replacementFailures.join('; ')}` : ''}`;
    }
    case 'flush':
      return `${f.how} at ${fmtSeconds(f.at)}: ${f.keys} keys gone; ${f.accepted} uploads accepted by then`;
    case 'crashflush': {
      const lived = f.kills.map((k) => k.livedMs ?? 0);
      const flush = f.flush
        ? `${f.flush.how} at ${fmtSeconds(f.flush.at)}: ${f.flush.keys} keys gone, ${f.flush.accepted} uploads accepted by then; ${f.flush.maxMissing ?? '?'} unfinished uploads without a job at most, all back ${f.flush.recoveredMs === undefined ? 'never' : `${fmtSeconds(f.flush.recoveredMs)} after the flush`}`
        : 'no flush';
      return `${f.kills.length} SIGKILLs, each worker ${fmtSeconds(Math.min(...lived))}–${fmtSeconds(Math.max(...lived))} after it started (RECONCILE_INTERVAL_MS ${CRASHFLUSH_ENV.RECONCILE_INTERVAL_MS}); ${flush}`;
    }
    case 'postgres':
      return `proxy cut at ${fmtSeconds(f.at)} ${f.timing}, back at ${fmtSeconds(f.endedAt)}: ${f.dropped} connections reset, new ones refused meanwhile; ${f.acceptedBefore} accepted before the cut, ${f.acceptedDuring} during it, ${f.refusedDuring} answers 503 during it`;
  }
}

function report(results: DrillResult[], logDir: string): boolean {
  const col = (fn: (r: DrillResult) => string | number) => results.map((r) => fn(r));
  const rows = [
    ['', ...col((r) => r.name)],
    ['fault', ...col(faultShort)],
    ['posted', ...col((r) => r.posted)],
    ['accepted (202)', ...col((r) => r.accepted)],
    ['refused during outage (503)', ...col((r) => (r.refused ? `${r.refused} answers for ${r.refusedFiles} files, posted again` : 0))],
    ['other rejections', ...col((r) => (Object.keys(r.rejected).length ? JSON.stringify(r.rejected) : 0))],
    ['succeeded', ...col((r) => r.outcome.succeeded)],
    ['failed', ...col((r) => `${r.outcome.failed}${r.outcome.failed ? ` ${JSON.stringify(r.outcome.failures)}` : ''}`)],
    ['lost (not final at the end)', ...col((r) => r.outcome.lost)],
    ['duplicate assets', ...col((r) => r.outcome.extraAssets)],
    ['re-uploads (same public id)', ...col((r) => `${r.outcome.reuploadedAssets} assets, ${r.outcome.extraWrites} extra writes`)],
    ['missing/corrupt assets', ...col((r) => `${r.outcome.missingAssets}/${r.outcome.corruptAssets}`)],
    ['stray assets (no 202 for them)', ...col((r) => r.outcome.strayAssets)],
    ['rows with no 202', ...col((r) => r.unacceptedRows)],
    ['processes crashed', ...col((r) => (r.crashes.length ? r.crashes.map((c) => `${c.name.replace(/^drill_\w+?-/, '')} (${c.exit?.code ?? c.exit?.signal})`).join(', ') : 0))],
    ['final statuses read from', ...col((r) => (r.statusesFromPostgres ? `Postgres for ${r.statusesFromPostgres} (API down)` : 'the API'))],
    ['temp files left', ...col((r) => r.tempFilesLeft)],
    ['attempts recorded (sum)', ...col((r) => r.attempts)],
    ['re-claims recorded (sum)', ...col((r) => r.reclaims)],
    ['provider answers', ...col((r) => JSON.stringify(r.stats.byStatus))],
    ['worker processes started', ...col((r) => r.workersStarted)],
    ...EVIDENCE.map(([label]) => [`log: ${label}`, ...col((r) => r.evidence[label] ?? 0)]),
    ['all accepted after', ...col((r) => fmtSeconds(r.submittedMs))],
    ['time taken (all settled)', ...col((r) => (r.settled ? fmtSeconds(r.settledMs) : `NOT SETTLED (gave up at ${fmtSeconds(r.settledMs)})`))],
  ];
  const lines = [
    '',
    'Hoist failure drills',
    `  command   ${commandLine('drill', process.argv.slice(2))}`,
    `  setup     per drill: fresh database, queue prefix, temp dirs; emulator latency ${options.latency} ms; API; ${options.workers} workers × WORKER_CONCURRENCY ${options.concurrency}; ` +
      `${results.map((r) => `${r.posted} (${r.name})`).join(', ')} distinct ~0.9 KB PNGs posted at ${options.submitRate}/s; node ${process.version}, ${availableParallelism()} CPUs`,
    `  env       ${Object.entries(HOIST_ENV)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}${results.some((r) => r.name === 'crashflush') ? `; crashflush: ${Object.entries(CRASHFLUSH_ENV).map(([k, v]) => `${k}=${v}`).join(' ')}` : ''}`,
    '',
    table(rows),
    '',
    '  targets (issues 4 and 10)',
    table(
      [['drill', 'target', 'measured', 'result'], ...results.flatMap((r) => r.checks.map((check) => [r.name, check.what, String(check.value), check.pass ? 'PASS' : 'FAIL']))],
      { indent: '    ', align: ['left', 'left', 'right', 'left'] },
    ),
  ];
  lines.push('', '  what happened');
  for (const r of results) {
    lines.push(`    ${r.name}: ${faultText(r)}`);
    for (const crash of r.crashes) lines.push(`      CRASH: ${crash.name} (pid ${crash.pid}) exited by itself, ${JSON.stringify(crash.exit)}: ${crash.error}`);
    if (r.warnings.length) {
      lines.push('      most frequent warnings/errors in the logs:');
      for (const [message, count] of r.warnings) lines.push(`        ${String(count).padStart(5)} × ${message.length > 200 ? `${message.slice(0, 200)}…` : message}`);
    }
  }
  for (const r of results) {
    const notes = exampleLines(r.outcome);
    if (notes.length) lines.push('', `  examples, ${r.name}:`, ...notes.map((n) => `    ${n}`));
    if (r.logReport) lines.push('', `  process logs, ${r.name} (kept in ${logDir}):`, r.logReport.replace(/^/gm, '  '));
  }
  const pass = results.every((r) => r.checks.every((check) => check.pass));
  lines.push('', `RESULT: ${pass ? 'PASS' : 'FAIL'}`, '');
  process.stdout.write(lines.join('\n'));
  return pass;
}

// ------------------------------------------------------------------------------------------- main

const totalTimeoutMs = options.only.length * (options.drillTimeout + 90_000);

await runScript({
  timeoutMs: totalTimeoutMs,
  main: () =>
    runPhases({
      logLabel: 'hoist-drill-logs',
      limits: `each drill gives up after ${fmtSeconds(options.drillTimeout)}, the whole run after ${fmtSeconds(totalTimeoutMs)}`,
      names: options.only,
      run: runDrill,
      report,
      keepLogs: options.keepLogs,
    }),
});
