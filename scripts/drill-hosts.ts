// The several-hosts drill: Hoist spread over network hosts of one machine (Linux network namespaces
// joined by veth pairs to a bridge on 10.213.47.0/24), then one worker host killed whole mid-run.
//
//   pnpm build && pnpm drill:hosts [--uploads=200] [--large=2] [--tus=6] [--workers-per-host=2]
//
// Hosts: `api` (the API alone), `w1` and `w2` (workers), each with its own empty temp dir; the temp
// storage is an S3 bucket (s3rver), the emulator, and forwarders to the loopback Postgres and Redis
// all listen on the bridge's address in the root namespace. Two phases on that one deployment:
//   mixed  small PNGs, --large files of --large-size (sent to the provider in chunks) and --tus
//          resumable uploads: all must succeed, one asset each, bytes as sent;
//   kill   --uploads small PNGs at --submit-rate; once w1 has finished some of them, every process on
//          w1 is SIGKILLed (as when that machine dies): w2 must take over, lost = 0, failed = 0,
//          duplicate assets = 0.
// Needs root and `ip netns` (it says why and exits 1 otherwise), `pnpm build` first, and Postgres
// (DATABASE_URL) and Redis (REDIS_URL) on loopback. Bounded by --timeout; every namespace, link,
// process, database, key and dir it made is removed at the end, also on failure or Ctrl-C.
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { UPLOAD_LOG_MESSAGES } from '@hoist/core';
import { postUpload } from '../test/support/api-client.js';
import { createDatabase } from '../test/support/databases.js';
import { largePng, makePng } from '../test/support/fixtures.js';
import { HostsStack } from '../test/support/hosts-stack.js';
import { HOSTS_SUBNET, netHostsUnavailable } from '../test/support/net-hosts.js';
import { deleteKeys } from '../test/support/redis-keys.js';
import { tusUpload } from '../test/support/tus-client.js';
import { fmtSeconds, log, parseBytes, parseDuration, parseOrExit, parsePositive, setLogTag, table } from './lib/cli.js';
import { abortSignal, onCleanup, runScript, tempDir, throwIfAborted } from './lib/lifecycle.js';
import { assertLoopback, baseDatabaseUrl, mapLimit, md5, sharedRedisUrl } from './lib/measured-stack.js';
import { assess, exampleLines, type Accepted, type Outcome, type SeenUpload } from './lib/outcome.js';

setLogTag('drill:hosts');

const USAGE = [
  'usage: pnpm drill:hosts [--uploads=200] [--large=2] [--large-size=30MB] [--tus=6] [--small=20]',
  '                        [--workers-per-host=2] [--concurrency=4] [--latency=400ms] [--submit-rate=40] [--timeout=240s] [--keep-logs]',
  '  --uploads           kill phase: small PNGs in flight when w1 dies',
  '  --large, --large-size, --tus, --small   mixed phase: how many of each kind (tus uploads are 3 MB)',
  '  --workers-per-host  worker processes on each of w1 and w2; --concurrency: WORKER_CONCURRENCY of each',
  '  --latency           emulator latency per upload request (so uploads are in flight when w1 dies)',
  '  --timeout           the whole run gives up after this long (what is unfinished counts as lost)',
  'Needs root and `ip netns`, `pnpm build` first, Postgres (DATABASE_URL) and Redis (REDIS_URL) on loopback.',
].join('\n');

const options = parseOrExit(
  'drill:hosts',
  {
    uploads: { default: 200, parse: (v, f) => parsePositive(v, f, { max: 10_000 }) },
    large: { default: 2, parse: (v, f) => parsePositive(v, f, { max: 20 }) },
    'large-size': { default: 30_000_000, parse: parseBytes },
    tus: { default: 6, parse: (v, f) => parsePositive(v, f, { max: 100 }) },
    small: { default: 20, parse: (v, f) => parsePositive(v, f, { max: 10_000 }) },
    'workers-per-host': { default: 2, parse: (v, f) => parsePositive(v, f, { max: 8 }) },
    concurrency: { default: 4, parse: (v, f) => parsePositive(v, f, { max: 100 }) },
    latency: { default: 400, parse: parseDuration },
    'submit-rate': { default: 40, parse: (v, f) => parsePositive(v, f, { integer: false, max: 1000 }) },
    timeout: { default: 240_000, parse: parseDuration },
    'keep-logs': { default: false, boolean: true },
  },
  USAGE,
);

const MB = 1_000_000;
const TUS_SIZE = 3 * MB;

interface PhaseResult {
  name: string;
  outcome: Outcome;
  seconds: number;
  note: string;
}

/** Final statuses through the API, polled until every id is final or `deadline`. */
async function settle(stack: HostsStack, ids: string[], deadline: number): Promise<Map<string, SeenUpload>> {
  const views = new Map<string, SeenUpload>();
  for (;;) {
    const pending = ids.filter((id) => !['succeeded', 'failed'].includes(views.get(id)?.status ?? ''));
    await mapLimit(pending, 16, async (id) => {
      const response = await fetch(`${stack.apiUrl}/v1/uploads/${id}`, { signal: AbortSignal.timeout(10_000) }).catch(() => undefined);
      if (response?.ok) views.set(id, { ...((await response.json()) as SeenUpload), source: 'api' });
    });
    if (pending.length === 0 || Date.now() > deadline || abortSignal.aborted) return views;
    await sleep(300);
  }
}

async function post(stack: HostsStack, bytes: Buffer, filename: string): Promise<Accepted> {
  const accepted = await postUpload(stack.apiUrl, bytes, filename, { timeoutMs: 120_000 });
  if (accepted.status !== 202) throw new Error(`POST ${filename}: ${accepted.status} ${JSON.stringify(accepted.body)}`);
  return { id: (accepted.body as { id: string }).id, md5: md5(bytes) };
}

const succeededOn = (stack: HostsStack, host: string) =>
  (stack.workers.get(host) ?? []).flatMap((worker) => worker.output).filter((line) => line.includes(`"${UPLOAD_LOG_MESSAGES.succeeded}"`)).length;
const takenOverOn = (stack: HostsStack, host: string) =>
  (stack.workers.get(host) ?? []).flatMap((worker) => worker.output).filter((line) => line.includes(`"${UPLOAD_LOG_MESSAGES.takenOver}"`)).length;

async function mixedPhase(stack: HostsStack, deadline: number): Promise<PhaseResult> {
  const started = Date.now();
  const seed = randomBytes(4).toString('hex');
  const jobs: Array<() => Promise<Accepted>> = [
    ...Array.from({ length: options.small }, (_, i) => () => post(stack, makePng(32, 32, i, { text: `${seed}-${i}` }), `small-${i}.png`)),
    ...Array.from({ length: options.large }, (_, i) => () => post(stack, largePng(options.largeSize), `large-${i}.png`)),
    ...Array.from({ length: options.tus }, (_, i) => async () => {
      const bytes = largePng(TUS_SIZE);
      return { id: await tusUpload(stack.apiUrl, bytes, `tus-${i}.png`), md5: md5(bytes) };
    }),
  ];
  const accepted = await mapLimit(jobs, 4, (job) => job());
  const views = await settle(stack, accepted.map((a) => a.id), deadline);
  const outcome = assess({ accepted, views, assets: await stack.assets() });
  return { name: 'mixed', outcome, seconds: (Date.now() - started) / 1000, note: `${options.small} small, ${options.large} × ${options.largeSize / MB} MB in chunks, ${options.tus} tus` };
}

async function killPhase(stack: HostsStack, deadline: number, assetsBefore: Set<string>): Promise<PhaseResult> {
  const started = Date.now();
  const seed = randomBytes(4).toString('hex');
  const doneBefore = succeededOn(stack, 'w1');
  const accepted: Accepted[] = [];
  let killedAt = 0;
  let killed = 0;
  const killer = (async () => {
    // Once w1 has finished a few of this phase's uploads (so it holds more in flight), kill all of it.
    while (succeededOn(stack, 'w1') < doneBefore + Math.max(3, Math.floor(options.uploads / 20))) {
      throwIfAborted();
      if (Date.now() > deadline) throw new Error('w1 never worked on the kill phase');
      await sleep(50);
    }
    killedAt = Date.now();
    killed = await stack.killHost('w1');
    log(`killed every process on w1 (${killed}) after ${fmtSeconds(killedAt - started)}, ${accepted.length} of ${options.uploads} accepted`);
  })();
  await mapLimit(
    Array.from({ length: options.uploads }, (_, i) => i),
    16,
    async (i) => {
      await sleep(Math.max(0, started + (i * 1000) / options.submitRate - Date.now()));
      accepted.push(await post(stack, makePng(32, 32, 10_000 + i, { text: `${seed}-${i}` }), `inflight-${i}.png`));
    },
  );
  await killer;
  const views = await settle(stack, accepted.map((a) => a.id), deadline);
  const assets = (await stack.assets()).filter((asset) => !assetsBefore.has(asset.public_id));
  const outcome = assess({ accepted, views, assets });
  const leftOnW1 = (await stack.net?.pids('w1'))?.length ?? 0;
  return {
    name: 'kill w1',
    outcome,
    seconds: (Date.now() - started) / 1000,
    note: `${killed} processes killed on w1; ${takenOverOn(stack, 'w2')} runs taken over on w2; processes left on w1: ${leftOnW1}`,
  };
}

function report(results: PhaseResult[]): boolean {
  const checks = results.flatMap((r) => [
    [r.name, 'lost = 0', r.outcome.lost, r.outcome.lost === 0],
    [r.name, 'failed = 0', r.outcome.failed, r.outcome.failed === 0],
    [r.name, 'duplicate assets = 0', r.outcome.extraAssets, r.outcome.extraAssets === 0],
    [r.name, 'missing/corrupt assets = 0', `${r.outcome.missingAssets}/${r.outcome.corruptAssets}`, r.outcome.missingAssets + r.outcome.corruptAssets === 0],
  ] as const);
  const pass = checks.every(([, , , ok]) => ok);
  const lines = [
    '',
    `drill:hosts — API on one host, workers on two (${options.workersPerHost} × concurrency ${options.concurrency} each), ${HOSTS_SUBNET}.0/24`,
    table([['phase', 'accepted', 'succeeded', 'seconds', 'what'], ...results.map((r) => [r.name, r.outcome.accepted, r.outcome.succeeded, r.seconds.toFixed(1), r.note])], {
      indent: '  ',
      align: ['left', 'right', 'right', 'right', 'left'],
    }),
    '',
    table([['phase', 'target', 'measured', 'result'], ...checks.map(([phase, what, value, ok]) => [phase, what, String(value), ok ? 'PASS' : 'FAIL'])], { indent: '  ', align: ['left', 'left', 'right', 'left'] }),
  ];
  for (const r of results) {
    const notes = exampleLines(r.outcome);
    if (notes.length) lines.push('', `  examples, ${r.name}:`, ...notes.map((n) => `    ${n}`));
  }
  lines.push('', `RESULT: ${pass ? 'PASS' : 'FAIL'}`, '');
  process.stdout.write(lines.join('\n'));
  return pass;
}

async function main(): Promise<boolean> {
  const unavailable = await netHostsUnavailable();
  if (unavailable) {
    log(`cannot build the hosts here: ${unavailable}`);
    return false;
  }
  const deadline = Date.now() + options.timeout - 30_000;
  const redisUrl = sharedRedisUrl();
  assertLoopback(baseDatabaseUrl(), 'DATABASE_URL');
  assertLoopback(redisUrl, 'REDIS_URL');
  const id = randomBytes(3).toString('hex');
  const database = await createDatabase(baseDatabaseUrl(), `hoist_hosts_${id}`);
  onCleanup(`drop the database hoist_hosts_${id}`, database.drop);
  const queuePrefix = `hoist-hosts-${id}`;
  onCleanup(`delete the keys ${queuePrefix}:*`, () => deleteKeys(redisUrl, `${queuePrefix}:*`));
  const logs = await tempDir('hoist-drill-hosts-logs');
  log(`logs in ${logs.path}; gives up after ${fmtSeconds(options.timeout)}`);
  const stack = new HostsStack({
    databaseUrl: database.url,
    redisUrl,
    queuePrefix,
    workersPerHost: options.workersPerHost,
    logDir: logs.path,
    env: {
      MAX_ATTEMPTS: '6',
      RETRY_BASE_DELAY_MS: '200',
      RETRY_MAX_DELAY_MS: '2000',
      PROVIDER_TIMEOUT_MS: '30000',
      SHUTDOWN_TIMEOUT_MS: '3000',
      WORKER_LOCK_DURATION_MS: '2000',
      RECONCILE_INTERVAL_MS: '1000',
      RECONCILE_STALE_AFTER_MS: '2000',
      WORKER_CONCURRENCY: String(options.concurrency),
      MAX_UPLOAD_BYTES: String(Math.max(100 * 1024 * 1024, options.largeSize + MB)),
      CHUNKED_UPLOAD_THRESHOLD_BYTES: String(6 * MB),
      CHUNK_SIZE_BYTES: String(5 * MB),
    },
    emulatorEnv: { EMULATOR_LATENCY_MS: String(options.latency) },
  });
  onCleanup('stop the processes and remove the hosts, forwarders, bucket and dirs', async () => {
    const failures = await stack.stop();
    if (failures.length) throw new Error(failures.map((failure) => failure.message).join('; '));
    const left = (await stack.net?.leftovers()) ?? [];
    if (left.length) throw new Error(`left behind: ${left.join('; ')}`);
    if (stack.net) log(`removed every namespace and link hoist-${stack.net.suffix}-*`);
  });
  await stack.boot();
  log(`hosts up: API ${stack.apiUrl}, emulator ${stack.emulatorUrl}, namespaces hoist-${stack.net?.suffix}-{api,w1,w2}`);
  const results: PhaseResult[] = [];
  try {
    results.push(await mixedPhase(stack, deadline));
    const assetsBefore = new Set((await stack.assets()).map((asset) => asset.public_id));
    results.push(await killPhase(stack, deadline, assetsBefore));
  } catch (error) {
    logs.keep();
    log(`process logs kept in ${logs.path}`);
    throw error;
  }
  const pass = report(results);
  if (!pass || options.keepLogs) {
    logs.keep();
    log(`process logs kept in ${logs.path}`);
  }
  return pass;
}

await runScript({ timeoutMs: options.timeout, main });
