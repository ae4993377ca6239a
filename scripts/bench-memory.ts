// Memory benchmark for the ingest API: proves POST /v1/uploads streams the file instead of buffering it.
//
//   pnpm build && pnpm bench:memory [--size=1GiB] [--budget=80MB] [--timeout=10m] [--api-node-arg=…]
//
// Starts its own API process (own database, queue prefix, temp dir and loopback port), measures the
// API's resident memory at rest, streams a generated multipart upload of --size bytes to it while
// sampling its RSS every 50 ms, and fails (exit 1) when the growth exceeds the budget. The upload is
// generated on the fly: the client never holds the file in memory or on disk. Everything it creates
// (process, database, Redis keys, temp dir) is removed on the way out, also on Ctrl-C and on timeout.
//
// Units: sizes accept B, KiB/MiB/GiB (and K/M/G, binary) or KB/MB/GB (decimal). Reported memory is in
// MB = 1,000,000 bytes, the unit of the budget ("a 1 GiB upload must not grow RSS by more than 80 MB").
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { createDatabase } from '../test/support/databases.js';
import { freePort, TestProcess } from '../test/support/processes.js';
import { deleteKeys } from '../test/support/redis-keys.js';
import { streamUpload, WRITE_CHUNK, type StreamUploadResult } from './bench/large-upload.js';
import { log, parseBytes, parseDuration, parseOrExit, setLogTag, UsageError } from './lib/cli.js';
import { abortSignal, onCleanup, runScript, tempDir } from './lib/lifecycle.js';
import { baseDatabaseUrl, sharedRedisUrl } from './lib/measured-stack.js';

setLogTag('bench');

const KiB = 1024;
const MiB = 1024 * KiB;
const MB = 1_000_000;
const SAMPLE_EVERY_MS = 50;
const WARMUP_SIZE = 1 * MiB;
const WARMUPS = 2;
const BASELINE_SAMPLES = 10;

// ---------------------------------------------------------------------------------------------- args

const USAGE = [
  'usage: pnpm bench:memory [--size=1GiB] [--budget=80MB] [--timeout=10m] [--api-node-arg=FLAG]...',
  '  --size     upload size (default 1GiB; e.g. 256MiB, 1GiB, 500MB, 123456789)',
  '  --budget   allowed RSS growth of the API (default 80MB; MB = 10^6 bytes)',
  '  --timeout  abort everything after this long (default 10m; e.g. 90s, 5m)',
  '  --api-node-arg  a node flag for the API process, repeatable (e.g. --api-node-arg=--max-semi-space-size=2);',
  '             by default the API runs as `node apps/api/dist/main.js`, with NODE_OPTIONS removed',
  'Needs `pnpm build` first, Postgres (DATABASE_URL) and Redis (REDIS_URL) reachable.',
].join('\n');

// --api-node-arg repeats, so it is taken out before the other flags are parsed.
const apiNodeArgs = process.argv.slice(2).flatMap((arg) => (arg.startsWith('--api-node-arg=') ? [arg.slice('--api-node-arg='.length)] : []));
process.argv = process.argv.filter((arg) => !arg.startsWith('--api-node-arg='));
const options = {
  ...parseOrExit(
    'bench',
    {
      size: {
        default: 1024 * MiB,
        parse: (v, f) => {
          const size = parseBytes(v, f);
          if (size < 64) throw new UsageError('--size: at least 64 bytes');
          return size;
        },
      },
      budget: { default: 80 * MB, parse: parseBytes },
      timeout: { default: 10 * 60_000, parse: parseDuration },
    },
    USAGE,
  ),
  apiNodeArgs,
};

// ------------------------------------------------------------------------------------------ helpers

const fmtMB = (bytes: number) => `${(bytes / MB).toFixed(1)} MB`;
const fmtSize = (bytes: number) =>
  bytes >= 1024 * MiB ? `${(bytes / (1024 * MiB)).toFixed(2)} GiB` : bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} B`;

/** VmRSS and VmHWM of a process, bytes, from /proc/<pid>/status. */
function readMemory(pid: number): { rss: number; hwm: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets the kernel's peak-RSS counter (VmHWM) of a process we own; false where not permitted. */
function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

// ------------------------------------------------------------------------------------ upload body

/** Random bytes without CR, so no run of them can ever contain the multipart delimiter "\r\n--boundary". */
// ------------------------------------------------------------------------------------------- main

/** One row of a query against the bench database. */
async function queryRow<T>(url: string, text: string, params: unknown[]): Promise<T | undefined> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return (await client.query<T & pg.QueryResultRow>(text, params)).rows[0];
  } finally {
    await client.end();
  }
}

/** Polls /readyz until it answers 200; rejects when the API exits first or after 30 s. */
async function waitUntilReady(api: TestProcess, port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!api.running) throw new Error(`the API exited during startup (${JSON.stringify(api.exitInfo)})`);
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(3_000) }).then(
      (response) => response.status === 200,
      () => false,
    );
    if (ready) return;
    if (Date.now() > deadline) throw new Error('the API was not ready within 30 s');
    await sleep(200);
  }
}

async function main(): Promise<boolean> {
  if (process.platform !== 'linux') throw new Error('needs Linux: RSS is read from /proc/<pid>/status');

  const id = randomBytes(4).toString('hex');
  const databaseName = `hoist_bench_${id}`;
  const redisUrl = sharedRedisUrl();
  const queuePrefix = `hoist-bench-${id}`;
  const tmp = await tempDir(`hoist-bench-${id}`);
  const port = await freePort();

  log(`database ${databaseName}, queue prefix ${queuePrefix}, temp dir ${tmp.path}, port ${port}`);
  const database = await createDatabase(baseDatabaseUrl(), databaseName);
  onCleanup(`drop the database ${databaseName}`, database.drop);
  onCleanup(`delete the Redis keys ${queuePrefix}:*`, () => deleteKeys(redisUrl, `${queuePrefix}:*`));

  // The caller's environment, but as the API runs in production: without the caller's NODE_OPTIONS.
  const { NODE_OPTIONS: _nodeOptions, ...callerEnv } = process.env;
  const api = new TestProcess(
    'api',
    { script: 'apps/api/dist/main.js', nodeArgs: options.apiNodeArgs },
    {
      ...Object.fromEntries(Object.entries(callerEnv).filter((entry): entry is [string, string] => entry[1] !== undefined)),
      DATABASE_URL: database.url,
      REDIS_URL: redisUrl,
      QUEUE_PREFIX: queuePrefix,
      HOST: '127.0.0.1',
      PORT: String(port),
      UPLOAD_TMP_DIR: tmp.path,
      MAX_UPLOAD_BYTES: String(options.size + MiB),
      ALLOWED_CONTENT_TYPES: 'image/png',
      LOG_LEVEL: 'warn',
      LOG_FORMAT: 'json',
      // The benchmark measures streaming, not authentication.
      AUTH: 'off',
    },
    { keepLines: 40, onLine: (line) => process.stderr.write(`[api] ${line}\n`) },
  );
  onCleanup(`stop the API (pid ${api.pid})`, () => api.stop(5_000));
  await waitUntilReady(api, port);
  const pid = api.pid;
  log(`API ready (pid ${pid})`);

  // Warm up: the first upload loads the sniffer, opens pool connections, loads BullMQ's Lua scripts…
  for (let i = 0; i < WARMUPS; i++) {
    const warm = await streamUpload(port, WARMUP_SIZE, { signal: abortSignal });
    if (warm.response.status !== 202) throw new Error(`warm-up upload answered ${warm.response.status}: ${JSON.stringify(warm.response.body)}`);
  }
  await sleep(500);
  const baselineSamples: number[] = [];
  for (let i = 0; i < BASELINE_SAMPLES; i++) {
    baselineSamples.push(readMemory(pid).rss);
    await sleep(100);
  }
  const baseline = median(baselineSamples);

  // The upload, with RSS sampled every 50 ms and the kernel's own peak counter reset beforehand.
  const peakReset = resetPeak(pid);
  let sentSoFar = 0;
  const samples: Array<{ at: number; rss: number; sent: number }> = [];
  const sample = () => {
    try {
      samples.push({ at: performance.now(), rss: readMemory(pid).rss, sent: sentSoFar });
    } catch {
      // the process is gone; the upload will fail and say so
    }
  };
  sample();
  const sampler = setInterval(sample, SAMPLE_EVERY_MS);
  let result: StreamUploadResult;
  try {
    result = await streamUpload(port, options.size, { signal: abortSignal, onProgress: (sent) => (sentSoFar = sent) });
  } finally {
    clearInterval(sampler);
  }
  sample();
  const hwm = readMemory(pid).hwm;
  await sleep(1_000);
  const after = readMemory(pid).rss;

  const { response } = result;
  const problems: string[] = [];
  if (response.status !== 202) problems.push(`expected 202, got ${response.status}: ${JSON.stringify(response.body)}`);
  if (!result.complete) problems.push(`the server answered after ${result.sent} of ${options.size} bytes`);

  // Verify what the API stored: the row (size and hash as measured by the API) and the temp file.
  let row: { bytes: string | number; sha256: string; content_type: string; storage_key: string; status: string } | undefined;
  let tempFileBytes: number | undefined;
  const uploadId = (response.body as { id?: unknown } | undefined)?.id;
  if (response.status === 202 && typeof uploadId === 'string') {
    row = await queryRow(database.url, 'select bytes, sha256, content_type, storage_key, status from upload where id = $1', [uploadId]);
    if (!row) problems.push(`no upload row with id ${uploadId}`);
    else {
      if (Number(row.bytes) !== options.size) problems.push(`row says ${row.bytes} bytes, sent ${options.size}`);
      if (row.sha256 !== result.sha256) problems.push(`row sha256 ${row.sha256} differs from the sent bytes' ${result.sha256}`);
      const path = join(tmp.path, row.storage_key.slice(0, 2), row.storage_key);
      tempFileBytes = (await stat(path).catch(() => undefined))?.size;
      if (tempFileBytes !== options.size) problems.push(`temp file ${path} has ${tempFileBytes ?? 'no'} bytes, expected ${options.size}`);
    }
    const leftovers = (await readdir(tmp.path, { recursive: true })).filter((name) => name.endsWith('.partial'));
    if (leftovers.length) problems.push(`partial files left in the temp dir: ${leftovers.join(', ')}`);
  }

  const sampledPeak = Math.max(...samples.map((s) => s.rss));
  const peakSample = samples.find((s) => s.rss === sampledPeak);
  const peak = peakReset ? Math.max(sampledPeak, hwm) : sampledPeak;
  const growth = Math.max(0, peak - baseline);
  const seconds = (response.at - result.started) / 1000;
  const sendSeconds = (result.sentAt - result.started) / 1000;
  const pass = problems.length === 0 && growth <= options.budget;
  const pct = (part: number, whole: number) => `${((part / whole) * 100).toFixed(1)}%`;

  const lines = [
    '',
    'Hoist ingest API memory benchmark (MB = 10^6 bytes)',
    `  API                  node ${process.version}${options.apiNodeArgs.length ? ` ${options.apiNodeArgs.join(' ')}` : ''} apps/api/dist/main.js, pid ${pid}, 127.0.0.1:${port}, LOG_LEVEL=warn`,
    `  file size            ${fmtSize(options.size)} (${options.size} bytes), multipart/form-data, ${WRITE_CHUNK / KiB} KiB writes`,
    `  baseline RSS         ${fmtMB(baseline)} (median of ${BASELINE_SAMPLES} samples after ${WARMUPS} x ${fmtSize(WARMUP_SIZE)} warm-up uploads; range ${fmtMB(Math.min(...baselineSamples))}-${fmtMB(Math.max(...baselineSamples))})`,
    `  peak RSS             ${fmtMB(peak)} (sampled max ${fmtMB(sampledPeak)} over ${samples.length} samples every ${SAMPLE_EVERY_MS} ms, at ${pct(peakSample?.sent ?? 0, options.size)} sent; kernel VmHWM ${peakReset ? fmtMB(hwm) : 'n/a (could not reset)'})`,
    `  RSS 1 s after        ${fmtMB(after)}`,
    `  growth               ${fmtMB(growth)} (peak - baseline) = ${(growth / options.size).toFixed(4)} x file size (${pct(growth, options.size)})`,
    `  budget               ${fmtMB(options.budget)}; growth / budget = ${(growth / options.budget).toFixed(2)}`,
    `  throughput           ${(options.size / MiB / seconds).toFixed(1)} MiB/s (${seconds.toFixed(2)} s to the response; body sent in ${sendSeconds.toFixed(2)} s)`,
    `  response             ${response.status} ${JSON.stringify(response.body)}`,
    `  stored               ${row ? `row ${row.status}, ${row.bytes} bytes, ${row.content_type}, sha256 ${row.sha256 === result.sha256 ? 'matches' : 'DIFFERS'}` : 'no row'}; temp file ${tempFileBytes ?? 'missing'} bytes`,
    ...problems.map((p) => `  problem              ${p}`),
    `RESULT: ${pass ? 'PASS' : 'FAIL'} (growth ${fmtMB(growth)} ${growth <= options.budget ? '<=' : '>'} budget ${fmtMB(options.budget)}${problems.length ? `; ${problems.length} problem(s)` : ''})`,
    '',
  ];
  process.stdout.write(lines.join('\n'));
  return pass;
}

await runScript({ timeoutMs: options.timeout, main });
