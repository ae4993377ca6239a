#!/usr/bin/env node
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
import { spawn, execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { freePort } from './lib/harness.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

const KiB = 1024;
const MiB = 1024 * KiB;
const MB = 1_000_000;
const SAMPLE_EVERY_MS = 50;
const WRITE_CHUNK = 64 * KiB;
const FILLER_SIZE = 1 * MiB;
const WARMUP_SIZE = 1 * MiB;
const WARMUPS = 2;
const BASELINE_SAMPLES = 10;

// ---------------------------------------------------------------------------------------------- args

function usage() {
  return [
    'usage: node scripts/bench-memory.mjs [--size=1GiB] [--budget=80MB] [--timeout=10m] [--api-node-arg=FLAG]...',
    '  --size     upload size (default 1GiB; e.g. 256MiB, 1GiB, 500MB, 123456789)',
    '  --budget   allowed RSS growth of the API (default 80MB; MB = 10^6 bytes)',
    '  --timeout  abort everything after this long (default 10m; e.g. 90s, 5m)',
    '  --api-node-arg  a node flag for the API process, repeatable (e.g. --api-node-arg=--max-semi-space-size=2);',
    '             by default the API runs as `node apps/api/dist/main.js`, with NODE_OPTIONS removed',
    'Needs `pnpm build` first, Postgres (DATABASE_URL) and Redis (REDIS_URL) reachable.',
  ].join('\n');
}

function parseBytes(text, flag) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)(b?)\s*$/i.exec(text);
  if (!match) throw new UsageError(`${flag}: cannot read "${text}" as a size (try 256MiB, 1GiB, 80MB)`);
  const [, number, prefix, binaryMark, byteMark] = match;
  const power = { '': 0, k: 1, m: 2, g: 3, t: 4 }[prefix.toLowerCase()];
  // "MB" is decimal; "MiB" and a bare "M" are binary.
  const decimal = prefix !== '' && binaryMark === '' && byteMark !== '';
  if (prefix === '' && binaryMark !== '') throw new UsageError(`${flag}: cannot read "${text}" as a size`);
  const bytes = Math.round(Number(number) * (decimal ? 1000 : 1024) ** power);
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new UsageError(`${flag}: "${text}" is out of range`);
  return bytes;
}

function parseDuration(text, flag) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) throw new UsageError(`${flag}: cannot read "${text}" as a duration (try 90s, 10m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's').toLowerCase()];
  return Math.round(Number(match[1]) * unit);
}

class UsageError extends Error {}

function parseArgs(argv) {
  const options = { size: 1024 * MiB, budget: 80 * MB, timeoutMs: 10 * 60_000, apiNodeArgs: [] };
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage()}\n`);
      process.exit(0);
    }
    const match = /^--(size|budget|timeout|api-node-arg)=(.+)$/.exec(arg);
    if (!match) throw new UsageError(`unknown argument "${arg}"\n${usage()}`);
    if (match[1] === 'size') options.size = parseBytes(match[2], '--size');
    if (match[1] === 'budget') options.budget = parseBytes(match[2], '--budget');
    if (match[1] === 'timeout') options.timeoutMs = parseDuration(match[2], '--timeout');
    if (match[1] === 'api-node-arg') options.apiNodeArgs.push(match[2]);
  }
  if (options.size < 64) throw new UsageError('--size: at least 64 bytes');
  return options;
}

// ------------------------------------------------------------------------------------------ helpers

const fmtMB = (bytes) => `${(bytes / MB).toFixed(1)} MB`;
const fmtSize = (bytes) =>
  bytes >= 1024 * MiB ? `${(bytes / (1024 * MiB)).toFixed(2)} GiB` : bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} B`;
const log = (line) => process.stderr.write(`bench: ${line}\n`);

/** VmRSS and VmHWM of a process, bytes, from /proc/<pid>/status. */
function readMemory(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name) => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!match) throw new Error(`/proc/${pid}/status has no ${name}`);
    return Number(match[1]) * 1024;
  };
  return { rss: field('VmRSS'), hwm: field('VmHWM') };
}

/** Resets the kernel's peak-RSS counter (VmHWM) of a process we own; false where not permitted. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function run(file, args, { env, timeoutMs }) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: root, env, timeout: timeoutMs, maxBuffer: MiB }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${args.join(' ')} failed: ${(stderr || stdout || error.message).trim()}`));
      else resolve(stdout.trim());
    });
  });
}

/** A small HTTP request on loopback; resolves with status and parsed JSON (or text). */
function request(port, method, path, { timeoutMs = 5_000 } = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, agent: false, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode, body: parseBody(Buffer.concat(chunks).toString('utf8')) }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

function parseBody(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

// ------------------------------------------------------------------------------------ upload body

/**
 * The start of a PNG: the 8-byte signature, a valid IHDR chunk and the header of an IDAT chunk that
 * claims the rest of the file. The API's sniffer (file-type) walks PNG chunk headers until it meets
 * IDAT; without that header it would read random filler as a chunk length and give up.
 */
function pngHead(size) {
  const ihdrData = Buffer.alloc(13);
  ihdrData.writeUInt32BE(4096, 0); // width
  ihdrData.writeUInt32BE(4096, 4); // height
  ihdrData.set([8, 2, 0, 0, 0], 8); // bit depth 8, RGB, deflate, no filter, no interlace
  const ihdrType = Buffer.from('IHDR', 'latin1');
  const ihdr = Buffer.alloc(25);
  ihdr.writeUInt32BE(ihdrData.length, 0);
  ihdr.set(ihdrType, 4);
  ihdr.set(ihdrData, 8);
  ihdr.writeUInt32BE(crc32(Buffer.concat([ihdrType, ihdrData])), 21);
  const idat = Buffer.alloc(8);
  idat.writeUInt32BE(Math.min(2 ** 31 - 1, Math.max(0, size - 8 - ihdr.length - idat.length)), 0);
  idat.write('IDAT', 4, 'latin1');
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr, idat]);
}

/** Random bytes without CR, so no run of them can ever contain the multipart delimiter "\r\n--boundary". */
function filler() {
  const bytes = randomBytes(FILLER_SIZE);
  for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0x0d) bytes[i] = 0x0e;
  return bytes;
}

const FILLER = filler();

/**
 * Streams a multipart/form-data POST with a generated file of `size` bytes to /v1/uploads, one
 * 64 KiB write at a time, waiting for 'drain' whenever the socket buffer is full. Resolves with the
 * response, the sha256 of the file bytes sent, and timings.
 */
async function upload(port, size, { signal, onProgress } = {}) {
  const boundary = `hoist-bench-${randomBytes(16).toString('hex')}`;
  const preamble = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="bench-${size}.png"\r\nContent-Type: image/png\r\n\r\n`,
    'latin1',
  );
  const epilogue = Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1');
  const hash = createHash('sha256');
  const started = performance.now();

  const req = http.request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/v1/uploads',
    agent: false,
    signal,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(preamble.length + size + epilogue.length),
    },
  });
  // The server may answer (and close) before the body is all sent, e.g. 413: stop writing then.
  let answered = false;
  const response = new Promise((resolve, reject) => {
    req.on('response', (res) => {
      answered = true;
      const chunks = [];
      res.on('data', (chunk) => chunks.push(chunk));
      res.on('end', () =>
        resolve({ status: res.statusCode, headers: res.headers, body: parseBody(Buffer.concat(chunks).toString('utf8')), at: performance.now() }),
      );
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  response.catch(() => undefined); // observed below; keeps an early failure from being "unhandled"

  const write = async (buffer) => {
    if (!req.write(buffer)) await Promise.race([once(req, 'drain'), response]);
  };

  let sent = 0;
  try {
    await write(preamble);
    const head = pngHead(size).subarray(0, size);
    hash.update(head);
    await write(head);
    sent = head.length;
    let offset = 0;
    while (sent < size && !answered) {
      const length = Math.min(WRITE_CHUNK, size - sent, FILLER.length - offset);
      const chunk = FILLER.subarray(offset, offset + length);
      offset = (offset + length) % FILLER.length;
      hash.update(chunk);
      await write(chunk);
      sent += length;
      onProgress?.(sent);
    }
    if (!answered) req.end(epilogue);
  } catch (error) {
    // A write failed because the server closed early: its answer (if any) explains more than EPIPE.
    if (!answered) throw error;
  }
  const sentAt = performance.now();
  const res = await response;
  return { response: res, sent, complete: sent === size, sha256: hash.digest('hex'), started, sentAt };
}

// ------------------------------------------------------------------------------------------- main

/** Everything the run created, so cleanup can remove exactly that and nothing else. */
const created = {
  child: undefined,
  childExited: undefined,
  databaseUrl: undefined,
  databaseName: undefined,
  queuePrefix: undefined,
  redisUrl: undefined,
  tmpDir: undefined,
  sampler: undefined,
  uploadAbort: new AbortController(),
};
let cleanupPromise;
let cleanupFailed = false;

function cleanup() {
  cleanupPromise ??= (async () => {
    clearInterval(created.sampler);
    created.uploadAbort.abort();
    const step = async (what, fn) => {
      try {
        await fn();
      } catch (error) {
        cleanupFailed = true;
        log(`cleanup: could not ${what}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };
    await step('stop the API', stopChild);
    await step('drop the database', dropDatabase);
    await step('delete the Redis keys', deleteRedisKeys);
    await step('remove the temp dir', async () => {
      if (created.tmpDir) await rm(created.tmpDir, { recursive: true, force: true });
    });
  })();
  return cleanupPromise;
}

async function stopChild() {
  const { child, childExited } = created;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const exited = await Promise.race([childExited.then(() => true), sleep(5_000).then(() => false)]);
  if (!exited) {
    log(`API (pid ${child.pid}) ignored SIGTERM for 5 s; sending SIGKILL`);
    child.kill('SIGKILL');
    await Promise.race([childExited, sleep(5_000)]);
  }
}

async function dropDatabase() {
  if (!created.databaseName) return;
  const admin = new URL(created.databaseUrl);
  admin.pathname = '/postgres';
  const pg = loadOptional('pg');
  if (pg) {
    const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      await client.query(`drop database if exists "${created.databaseName}" with (force)`);
    } finally {
      await client.end();
    }
  } else {
    await run('psql', [admin.toString(), '-v', 'ON_ERROR_STOP=1', '-qc', `drop database if exists "${created.databaseName}" with (force)`], {
      env: process.env,
      timeoutMs: 30_000,
    });
  }
}

async function deleteRedisKeys() {
  if (!created.queuePrefix) return;
  const pattern = `${created.queuePrefix}:*`;
  const ioredis = loadOptional('ioredis');
  if (ioredis) {
    const redis = new ioredis.Redis(created.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 5_000 });
    redis.on('error', () => undefined);
    try {
      await redis.connect();
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  } else {
    const keys = (await run('redis-cli', ['-u', created.redisUrl, '--scan', '--pattern', pattern], { env: process.env, timeoutMs: 30_000 }))
      .split('\n')
      .filter(Boolean);
    for (let i = 0; i < keys.length; i += 500) {
      await run('redis-cli', ['-u', created.redisUrl, 'del', ...keys.slice(i, i + 500)], { env: process.env, timeoutMs: 30_000 });
    }
  }
}

/** pg and ioredis are root devDependencies; without them we fall back to psql and redis-cli. */
function loadOptional(name) {
  try {
    return require(name);
  } catch {
    return undefined;
  }
}

/** One row of a query against the bench database, via pg or else psql. */
async function queryRow(url, sql, params) {
  const pg = loadOptional('pg');
  if (pg) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      return (await client.query(sql, params)).rows[0];
    } finally {
      await client.end();
    }
  }
  // psql has no bind parameters here; the only parameter is an id the API returned, so check its shape.
  const literal = params.map((p) => {
    if (!/^[0-9A-Za-z_-]+$/.test(String(p))) throw new Error(`refusing to quote ${JSON.stringify(p)}`);
    return `'${p}'`;
  });
  const text = sql.replace(/\$(\d+)/g, (_, n) => literal[Number(n) - 1]);
  const out = await run('psql', [url, '-v', 'ON_ERROR_STOP=1', '-AXt', '-c', `select row_to_json(r) from (${text}) r`], {
    env: process.env,
    timeoutMs: 30_000,
  });
  return out ? JSON.parse(out.split('\n')[0]) : undefined;
}

/** Spawns the API; resolves once it is listening and /readyz answers 200. */
async function startApi(env, port, nodeArgs, recentOutput) {
  const main = join(root, 'apps', 'api', 'dist', 'main.js');
  await stat(main).catch(() => {
    throw new Error(`${main} is missing: run \`pnpm build\` first`);
  });
  const child = spawn(process.execPath, [...nodeArgs, main], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  created.child = child;
  created.childExited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  child.once('error', (error) => log(`could not start the API: ${error.message}`));
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    let partial = '';
    stream.on('data', (text) => {
      const lines = (partial + text).split('\n');
      partial = lines.pop();
      for (const line of lines) {
        recentOutput.push(line);
        if (recentOutput.length > 40) recentOutput.shift();
        process.stderr.write(`[api] ${line}\n`);
      }
    });
  }
  const deadline = Date.now() + 30_000;
  let exited;
  void created.childExited.then((result) => (exited = result));
  for (;;) {
    if (exited) throw new Error(`the API exited during startup (code ${exited.code}, signal ${exited.signal})`);
    try {
      const res = await request(port, 'GET', '/readyz', { timeoutMs: 3_000 });
      if (res.status === 200) return child;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error('the API was not ready within 30 s');
    await sleep(200);
  }
}

async function main(options) {
  if (process.platform !== 'linux') throw new Error('needs Linux: RSS is read from /proc/<pid>/status');

  const id = randomBytes(4).toString('hex');
  const baseUrl = new URL(process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/hoist');
  created.databaseName = `hoist_bench_${id}`;
  baseUrl.pathname = `/${created.databaseName}`;
  created.databaseUrl = baseUrl.toString();
  created.redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
  created.queuePrefix = `hoist-bench-${id}`;
  created.tmpDir = await mkdtemp(join(tmpdir(), `hoist-bench-${id}-`));
  const port = await freePort();

  const env = {
    ...process.env,
    DATABASE_URL: created.databaseUrl,
    REDIS_URL: created.redisUrl,
    QUEUE_PREFIX: created.queuePrefix,
    HOST: '127.0.0.1',
    PORT: String(port),
    UPLOAD_TMP_DIR: created.tmpDir,
    MAX_UPLOAD_BYTES: String(options.size + MiB),
    ALLOWED_CONTENT_TYPES: 'image/png',
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    // The benchmark measures streaming, not authentication.
    AUTH: 'off',
  };
  delete env.NODE_OPTIONS; // measure the API as it runs in production, not under a caller's flags

  log(`database ${created.databaseName}, queue prefix ${created.queuePrefix}, temp dir ${created.tmpDir}, port ${port}`);
  log(await run(process.execPath, [join(root, 'packages', 'db', 'dist', 'cli.js'), 'migrate'], { env, timeoutMs: 60_000 }));

  const recentOutput = [];
  const child = await startApi(env, port, options.apiNodeArgs, recentOutput);
  const pid = child.pid;
  log(`API ready (pid ${pid})`);

  // Warm up: the first upload loads the sniffer, opens pool connections, loads BullMQ's Lua scripts…
  for (let i = 0; i < WARMUPS; i++) {
    const warm = await upload(port, WARMUP_SIZE, { signal: created.uploadAbort.signal });
    if (warm.response.status !== 202) throw new Error(`warm-up upload answered ${warm.response.status}: ${JSON.stringify(warm.response.body)}`);
  }
  await sleep(500);
  const baselineSamples = [];
  for (let i = 0; i < BASELINE_SAMPLES; i++) {
    baselineSamples.push(readMemory(pid).rss);
    await sleep(100);
  }
  const baseline = median(baselineSamples);

  // The upload, with RSS sampled every 50 ms and the kernel's own peak counter reset beforehand.
  const peakReset = resetPeak(pid);
  let sentSoFar = 0;
  const samples = [];
  const sample = () => {
    try {
      samples.push({ at: performance.now(), rss: readMemory(pid).rss, sent: sentSoFar });
    } catch {
      // the process is gone; the upload will fail and say so
    }
  };
  sample();
  created.sampler = setInterval(sample, SAMPLE_EVERY_MS);
  const result = await upload(port, options.size, {
    signal: created.uploadAbort.signal,
    onProgress: (sent) => (sentSoFar = sent),
  });
  sample();
  clearInterval(created.sampler);
  const hwm = readMemory(pid).hwm;
  await sleep(1_000);
  const after = readMemory(pid).rss;

  const { response } = result;
  const problems = [];
  if (response.status !== 202) problems.push(`expected 202, got ${response.status}: ${JSON.stringify(response.body)}`);
  if (!result.complete) problems.push(`the server answered after ${result.sent} of ${options.size} bytes`);

  // Verify what the API stored: the row (size and hash as measured by the API) and the temp file.
  let row;
  let tempFileBytes;
  if (response.status === 202 && response.body && typeof response.body.id === 'string') {
    row = await queryRow(created.databaseUrl, 'select bytes, sha256, content_type, storage_key, status from upload where id = $1', [response.body.id]);
    if (!row) problems.push(`no upload row with id ${response.body.id}`);
    else {
      if (Number(row.bytes) !== options.size) problems.push(`row says ${row.bytes} bytes, sent ${options.size}`);
      if (row.sha256 !== result.sha256) problems.push(`row sha256 ${row.sha256} differs from the sent bytes' ${result.sha256}`);
      const path = join(created.tmpDir, row.storage_key.slice(0, 2), row.storage_key);
      tempFileBytes = (await stat(path).catch(() => undefined))?.size;
      if (tempFileBytes !== options.size) problems.push(`temp file ${path} has ${tempFileBytes ?? 'no'} bytes, expected ${options.size}`);
    }
    const leftovers = (await readdir(created.tmpDir, { recursive: true })).filter((name) => name.endsWith('.partial'));
    if (leftovers.length) problems.push(`partial files left in the temp dir: ${leftovers.join(', ')}`);
  }

  const sampledPeak = Math.max(...samples.map((s) => s.rss));
  const peakSample = samples.find((s) => s.rss === sampledPeak);
  const peak = peakReset ? Math.max(sampledPeak, hwm) : sampledPeak;
  const growth = Math.max(0, peak - baseline);
  const seconds = (response.at - result.started) / 1000;
  const sendSeconds = (result.sentAt - result.started) / 1000;
  const pass = problems.length === 0 && growth <= options.budget;
  const pct = (part, whole) => `${((part / whole) * 100).toFixed(1)}%`;

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

// ------------------------------------------------------------------------------ lifecycle & guards

let exiting = false;
async function abortAndExit(reason, code) {
  if (exiting) {
    // Second signal: give up on a graceful cleanup, but never leave the API running.
    if (created.child?.exitCode === null) created.child.kill('SIGKILL');
    process.exit(code);
  }
  exiting = true;
  log(`${reason}: cleaning up`);
  await cleanup();
  process.exit(code);
}

const options = (() => {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`bench: ${error.message}\n`);
    process.exit(2);
  }
})();

for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
  process.on(signal, () => void abortAndExit(`received ${signal}`, 128 + number));
}
const watchdog = setTimeout(() => void abortAndExit(`timed out after ${options.timeoutMs / 1000} s`, 1), options.timeoutMs);
process.on('exit', () => {
  // Last resort if we die with the API still up (e.g. an exception inside cleanup itself).
  if (created.child?.pid && created.child.exitCode === null && created.child.signalCode === null) {
    try {
      process.kill(created.child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

let pass = false;
try {
  pass = await main(options);
} catch (error) {
  // After a signal or the timeout, the failure is the abort itself; that was reported already.
  if (!exiting) log(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
} finally {
  await cleanup();
  clearTimeout(watchdog);
}
if (cleanupFailed) log('cleanup was incomplete (see above)');
process.exitCode = pass && !cleanupFailed ? 0 : 1;
