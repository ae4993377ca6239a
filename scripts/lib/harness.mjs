// Shared plumbing for the measurement scripts (bench-ratelimit.mjs, drill.mjs): argument parsing,
// child processes with their logs in a temp dir, cleanup that runs on every way out (normal end,
// error, Ctrl-C, watchdog), loopback HTTP helpers and generated PNG uploads.
//
// Plain Node ESM; pg and ioredis are resolved from the repository root (root devDependencies).
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { crc32, deflateSync } from 'node:zlib';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const requireFromRoot = createRequire(join(root, 'package.json'));
export { sleep };

// ---------------------------------------------------------------------------------------------- args

export class UsageError extends Error {}

/** "90s", "2m", "1500ms", "3" (seconds) → milliseconds. */
export function parseDuration(text, flag) {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/i.exec(text);
  if (!match) throw new UsageError(`${flag}: cannot read "${text}" as a duration (try 90s, 10m)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's').toLowerCase()];
  return Math.round(Number(match[1]) * unit);
}

export function parsePositive(text, flag, { integer = true, max = 1_000_000 } = {}) {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0 || value > max || (integer && !Number.isInteger(value))) {
    throw new UsageError(`${flag}: expected a positive ${integer ? 'integer' : 'number'} up to ${max}, got "${text}"`);
  }
  return value;
}

/**
 * Parses `--name=value` flags (and bare `--name` booleans) against `spec`:
 * `{ name: { default, parse(text, flag) } }`. `--help` prints `usage` and exits 0.
 */
export function parseArgs(argv, spec, usage) {
  const options = Object.fromEntries(Object.entries(spec).map(([name, entry]) => [camel(name), entry.default]));
  for (const arg of argv) {
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    const match = /^--([a-z][a-z0-9-]*)(?:=(.*))?$/.exec(arg);
    const entry = match && spec[match[1]];
    if (!entry) throw new UsageError(`unknown argument "${arg}"\n${usage}`);
    if (match[2] === undefined && !entry.boolean) throw new UsageError(`--${match[1]} needs a value (--${match[1]}=…)\n${usage}`);
    options[camel(match[1])] = entry.boolean && match[2] === undefined ? true : entry.parse(match[2], `--${match[1]}`);
  }
  return options;
}

const camel = (name) => name.replace(/-([a-z0-9])/g, (_, c) => c.toUpperCase());

// ------------------------------------------------------------------------------------------ logging

let logTag = 'script';
export function setLogTag(tag) {
  logTag = tag;
}
/** Progress goes to stderr, results to stdout. */
export const log = (line) => process.stderr.write(`${logTag}: ${line}\n`);
export const errorText = (error) => (error instanceof Error ? (error.stack ?? error.message) : String(error));

// --------------------------------------------------------------------------------- lifecycle/guards

/** Everything to undo, most recent first; each entry runs once, whatever happens. */
const cleanups = [];
/** Child processes still running, so the 'exit' hook can SIGKILL them as a last resort. */
const liveChildren = new Set();
let cleanupFailures = 0;
let aborting = false;
const abortController = new AbortController();

/** Aborted on Ctrl-C, SIGTERM or the watchdog; long waits should pass it along or check it. */
export const abortSignal = abortController.signal;

export function throwIfAborted() {
  if (abortSignal.aborted) throw new Error(`aborted: ${abortSignal.reason}`);
}

/** Registers `fn` to run at cleanup; returns a function that runs it now (once) and unregisters it. */
export function onCleanup(what, fn) {
  const entry = { what, fn, done: false };
  cleanups.push(entry);
  return async () => {
    const index = cleanups.indexOf(entry);
    if (index >= 0) cleanups.splice(index, 1);
    await runCleanup(entry);
  };
}

/** Cleanups running right now (possibly started by a stack's own stop()), so cleanupAll can wait for them. */
const running = new Set();

async function runCleanup(entry) {
  if (entry.done) return;
  entry.done = true;
  const task = (async () => {
    try {
      await entry.fn();
    } catch (error) {
      cleanupFailures += 1;
      log(`cleanup: could not ${entry.what}: ${error instanceof Error ? error.message : String(error)}`);
    }
  })();
  running.add(task);
  try {
    await task;
  } finally {
    running.delete(task);
  }
}

/** Runs every registered cleanup, newest first, and waits for any already under way; safe to call twice. */
export async function cleanupAll() {
  while (cleanups.length || running.size) {
    if (cleanups.length) await runCleanup(cleanups.pop());
    else await Promise.allSettled([...running]);
  }
  return cleanupFailures === 0;
}

export const cleanupFailed = () => cleanupFailures > 0;

/**
 * Runs `main` (which resolves to true for PASS) with a watchdog and signal handlers; cleans up on
 * every way out and sets the exit code: 0 pass, 1 fail or error, 2 usage, 128+n on a signal.
 */
export async function runScript({ timeoutMs, main }) {
  let pass = false;
  let mainDone;
  const abort = async (reason, code) => {
    if (aborting) {
      // Second signal: no more patience, but never leave a child behind.
      killAllChildren();
      process.exit(code);
    }
    aborting = true;
    log(`${reason}: stopping and cleaning up`);
    abortController.abort(reason);
    // Main notices the abort, stops its stack and cleans up; if it is stuck, clean up from here.
    await Promise.race([mainDone, sleep(60_000)]);
    await cleanupAll();
    process.exit(code);
  };
  for (const [signal, number] of [['SIGINT', 2], ['SIGTERM', 15], ['SIGHUP', 1]]) {
    process.on(signal, () => void abort(`received ${signal}`, 128 + number));
  }
  const watchdog = setTimeout(() => void abort(`timed out after ${Math.round(timeoutMs / 1000)} s`, 1), timeoutMs);
  process.on('exit', killAllChildren);

  mainDone = (async () => {
    try {
      pass = await main();
    } catch (error) {
      if (!abortSignal.aborted) log(`error: ${errorText(error)}`);
    } finally {
      await cleanupAll();
    }
  })();
  await mainDone;
  clearTimeout(watchdog);
  if (cleanupFailed()) log('cleanup was incomplete (see above)');
  process.exitCode = pass && !cleanupFailed() && !abortSignal.aborted ? 0 : 1;
}

function killAllChildren() {
  for (const child of liveChildren) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

// ------------------------------------------------------------------------------------ processes

/** A temp directory removed at cleanup (unless `keep()` says otherwise, e.g. logs of a failed run). */
/**
 * Runs the named phases one after another with one shared log dir, then `report`s them. The logs
 * are kept (and their path printed) when a phase throws, when the report fails, or when asked.
 * Resolves to the report's verdict, for runScript.
 */
export async function runPhases({ logLabel, limits, names, run, report, keepLogs }) {
  const logs = await tempDir(logLabel);
  const keep = () => {
    logs.keep();
    log(`process logs kept in ${logs.path}`);
  };
  log(`logs in ${logs.path}; ${limits}`);
  const results = [];
  for (const name of names) {
    throwIfAborted();
    try {
      results.push(await run(name, logs.path));
    } catch (error) {
      keep();
      throw error;
    }
  }
  const pass = report(results, logs.path);
  if (!pass || keepLogs) keep();
  return pass;
}

export async function tempDir(label) {
  const path = await mkdtemp(join(tmpdir(), `${label}-`));
  let kept = false;
  const remove = onCleanup(`remove ${path}`, async () => {
    if (!kept) await rm(path, { recursive: true, force: true });
  });
  return { path, keep: () => (kept = true), remove };
}

/**
 * A child process whose stdout and stderr go to `<logDir>/<name>.log`; the last lines are also kept
 * in memory for waits and failure reports.
 */
export class Child {
  constructor(name, command, args, { env, logDir, cwd = root }) {
    this.name = name;
    this.logFile = join(logDir, `${name}.log`);
    this.recent = [];
    this.waiters = [];
    this.output = createWriteStream(this.logFile, { flags: 'a' });
    this.child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.pid = this.child.pid;
    liveChildren.add(this.child);
    this.exitInfo = undefined;
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        liveChildren.delete(this.child);
        this.exitInfo = { code, signal };
        for (const waiter of this.waiters.splice(0)) waiter.reject(new Error(`${name} exited (code ${code}, signal ${signal}) before printing ${waiter.pattern}`));
        resolve(this.exitInfo);
      }),
    );
    this.child.once('error', (error) => {
      this.output.write(`[harness] spawn error: ${error.message}\n`);
      liveChildren.delete(this.child);
    });
    for (const stream of [this.child.stdout, this.child.stderr]) {
      let partial = '';
      stream.setEncoding('utf8');
      stream.on('data', (text) => {
        this.output.write(text);
        const lines = (partial + text).split('\n');
        partial = lines.pop();
        for (const line of lines) this.line(line);
      });
    }
  }

  line(line) {
    this.recent.push(line);
    if (this.recent.length > 300) this.recent.shift();
    for (const waiter of [...this.waiters]) {
      if (waiter.pattern.test(line)) {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }

  get running() {
    return this.exitInfo === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first line (from now on, or among the recent ones) matching `pattern`. */
  waitFor(pattern, timeoutMs = 30_000) {
    const seen = this.recent.find((line) => pattern.test(line));
    if (seen) return Promise.resolve(seen);
    if (!this.running) return Promise.reject(new Error(`${this.name} is not running (${JSON.stringify(this.exitInfo)})`));
    return new Promise((resolve, reject) => {
      const waiter = { pattern, resolve, reject };
      const timer = setTimeout(() => {
        this.waiters.splice(this.waiters.indexOf(waiter), 1);
        reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail(15)}`));
      }, timeoutMs);
      waiter.resolve = (line) => (clearTimeout(timer), resolve(line));
      waiter.reject = (error) => (clearTimeout(timer), reject(error));
      this.waiters.push(waiter);
    });
  }

  kill(signal) {
    if (this.running) this.child.kill(signal);
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it has exited and its log is flushed. */
  async stop(graceMs = 10_000) {
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    await this.closeLog();
    return this.exitInfo;
  }

  /** Resolves once everything written to the log file so far is on disk. */
  flushLog() {
    if (this.output.closed || this.output.destroyed) return Promise.resolve();
    return new Promise((resolve) => this.output.write('', () => resolve()));
  }

  async closeLog() {
    if (!this.output.closed && !this.output.destroyed) {
      this.output.end();
      await once(this.output, 'close').catch(() => undefined);
    }
  }

  tail(lines = 20, width = 400) {
    return this.recent
      .slice(-lines)
      .map((line) => (line.length > width ? `${line.slice(0, width)}…` : line))
      .join('\n');
  }
}

/** A node script of this repository as a child (NODE_OPTIONS dropped, like in production). */
export function nodeChild(name, script, { env, logDir }) {
  const path = join(root, script);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm build\` (pnpm exec tsc -b) first`);
  const childEnv = { ...env };
  delete childEnv.NODE_OPTIONS;
  return new Child(name, process.execPath, [path], { env: childEnv, logDir });
}

/** Runs a command to completion; resolves with stdout, rejects with stderr. */
export function run(file, args, { env = process.env, timeoutMs = 60_000 } = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd: root, env, timeout: timeoutMs, maxBuffer: 4 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${basename(file)} ${args.join(' ')} failed: ${(stderr || stdout || error.message).trim()}`));
      else resolve(stdout.trim());
    });
  });
}

export async function freePort() {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address();
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Counts of warn/error/fatal log messages in a pino JSON log file, most frequent first, plus the
 * last few such lines, for failure reports.
 */
export function summarizeLog(file, { top = 8 } = {}) {
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return { counts: [], lines: 0 };
  }
  const counts = new Map();
  let lines = 0;
  for (const line of text.split('\n')) {
    if (!line) continue;
    lines += 1;
    let entry;
    try {
      entry = JSON.parse(line);
    } catch {
      const key = `(text) ${line.slice(0, 160)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      continue;
    }
    if (typeof entry.level !== 'number' || entry.level < 40) continue;
    const level = entry.level >= 60 ? 'fatal' : entry.level >= 50 ? 'error' : 'warn';
    const detail = entry.err?.message ? `: ${String(entry.err.message).slice(0, 160)}` : '';
    // Ids and ports differ from line to line; without them, the same message counts as one.
    const key = `${level} ${entry.msg}${detail}`.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi, '<id>').replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:<port>');
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return {
    lines,
    counts: [...counts.entries()].sort((a, b) => b[1] - a[1]).slice(0, top),
  };
}

// ------------------------------------------------------------------------------------------ HTTP

/** GET/PUT JSON on loopback with a timeout. */
export async function httpJson(url, { method = 'GET', body, timeoutMs = 10_000 } = {}) {
  const response = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = text;
  }
  return { status: response.status, body: parsed };
}

/** POST /v1/uploads with one file; resolves with the status and body (never rejects on HTTP errors). */
export async function postUpload(apiUrl, bytes, filename, { timeoutMs = 30_000 } = {}) {
  const form = new FormData();
  form.append('file', new Blob([bytes], { type: 'image/png' }), filename);
  const response = await fetch(`${apiUrl}/v1/uploads`, { method: 'POST', body: form, signal: AbortSignal.timeout(timeoutMs) });
  const text = await response.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** Runs `task(item)` over `items` with at most `limit` at once; results in input order. */
export async function mapLimit(items, limit, task) {
  const results = new Array(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index], index);
    }
  });
  await Promise.all(lanes);
  return results;
}

// ------------------------------------------------------------------------------------------ PNGs

function pngChunk(type, data) {
  const typeBytes = Buffer.from(type, 'latin1');
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeBytes.copy(out, 4);
  data.copy(out, 8);
  out.writeUInt32BE(crc32(Buffer.concat([typeBytes, data])), 8 + data.length);
  return out;
}

/**
 * A small valid PNG (16×16 RGB, a few hundred bytes) whose pixels are derived from `seed`, so every
 * upload has different bytes (and a different MD5, which the emulator reports as the asset's etag).
 */
export function makePng(seed, size = 16) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, deflate, no filter, no interlace
  const rowBytes = 1 + size * 3;
  const raw = Buffer.alloc(rowBytes * size);
  let block = createHash('sha256').update(String(seed)).digest();
  let used = 0;
  for (let y = 0; y < size; y++) {
    raw[y * rowBytes] = 0; // filter: none
    for (let x = 1; x < rowBytes; x++) {
      if (used === block.length) {
        block = createHash('sha256').update(block).digest();
        used = 0;
      }
      raw[y * rowBytes + x] = block[used++];
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', ihdr),
    pngChunk('tEXt', Buffer.from(`Comment\0hoist measurement upload ${seed}`, 'latin1')),
    pngChunk('IDAT', deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

export const md5 = (bytes) => createHash('md5').update(bytes).digest('hex');

// ------------------------------------------------------------------------------------ formatting

export const fmtSeconds = (ms) => `${(ms / 1000).toFixed(1)} s`;
export const fmtPct = (part, whole) => (whole ? `${((part / whole) * 100).toFixed(1)} %` : 'n/a');

/** A plain text table: rows of cells, the first row is the header. */
export function table(rows, { indent = '  ', align } = {}) {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => String(row[column] ?? '').length)));
  const left = (column) => (align ? align[column] !== 'right' : column === 0);
  return rows
    .map((row) =>
      (indent + row.map((cell, column) => (left(column) ? String(cell ?? '').padEnd(widths[column]) : String(cell ?? '').padStart(widths[column]))).join('  ')).trimEnd(),
    )
    .join('\n');
}

/** The command line as typed, for reports. */
export function commandLine(script, argv) {
  return ['node', `scripts/${script}`, ...argv].join(' ');
}
