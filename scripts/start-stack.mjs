#!/usr/bin/env node
// `pnpm start`: the whole local stack in one terminal — migrations, the API, one worker and, when
// CLOUDINARY_URL is unset, the Cloudinary emulator. Ctrl-C stops everything.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { loadConfig } = await import(join(root, 'packages/config/dist/index.js'));
const { migrateToLatest } = await import(join(root, 'packages/db/dist/index.js'));
const { redactUrl } = await import(join(root, 'packages/logger/dist/index.js'));

// The emulator logs JSON (it shares no code with Hoist); show it as readably as the rest.
const pinoPretty = createRequire(join(root, 'packages/logger/package.json'))('pino-pretty');

const say = (line) => process.stdout.write(`\x1b[1mhoist\x1b[0m ${line}\n`);
const fail = (line) => {
  process.stderr.write(`\x1b[1;31mhoist\x1b[0m ${line}\n`);
  process.exit(1);
};

let config;
try {
  config = loadConfig();
} catch (error) {
  fail(error.message);
}

/** Resolves true when something accepts TCP connections at the URL's host and port. */
function reachable(url, defaultPort) {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort) });
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const problems = [];
if (!(await reachable(config.DATABASE_URL, 5432))) {
  problems.push(
    `PostgreSQL is not reachable at ${redactUrl(config.DATABASE_URL)} (DATABASE_URL).\n` +
      '      Start it with `docker compose up -d postgres`, or on Debian: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.',
  );
}
if (!(await reachable(config.REDIS_URL, 6379))) {
  problems.push(
    `Redis is not reachable at ${redactUrl(config.REDIS_URL)} (REDIS_URL).\n` +
      '      Start it with `docker compose up -d redis`, or `redis-server --daemonize yes --port 6379`.',
  );
}
if (problems.length) fail(`cannot start:\n  - ${problems.join('\n  - ')}`);

try {
  const { applied } = await migrateToLatest(config.DATABASE_URL);
  say(applied.length ? `migrated ${redactUrl(config.DATABASE_URL)}: ${applied.join(', ')}` : `database ${redactUrl(config.DATABASE_URL)} is up to date`);
} catch (error) {
  fail(`migration failed: ${error.message}`);
}

// Local development: no API keys unless you ask for them (AUTH=on pnpm start).
const env = { ...process.env, LOG_FORMAT: process.env.LOG_FORMAT || 'pretty', AUTH: process.env.AUTH || 'off' };
const children = [];
let stopping = false;

function start(name, script, extraEnv = {}, { prettify = false } = {}) {
  const child = spawn(process.execPath, [join(root, script)], {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', prettify ? 'pipe' : 'inherit', 'inherit'],
  });
  if (prettify) child.stdout.pipe(pinoPretty({ translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', colorize: process.stdout.isTTY }));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      process.stderr.write(`hoist: ${name} exited (${signal ?? `code ${code}`}); stopping the stack\n`);
      stop(1);
    }
  });
  children.push({ name, child });
  return child;
}

function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  for (const { child } of children) if (child.exitCode === null) child.kill('SIGTERM');
  const deadline = setTimeout(() => {
    for (const { child } of children) if (child.exitCode === null) child.kill('SIGKILL');
  }, config.SHUTDOWN_TIMEOUT_MS + 5000);
  deadline.unref();
  Promise.all(children.map(({ child }) => (child.exitCode === null ? new Promise((r) => child.once('exit', r)) : null))).then(() => {
    say('stopped');
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

let cloudinaryUrl = config.CLOUDINARY_URL;
if (!cloudinaryUrl) {
  const port = process.env.EMULATOR_PORT || '9400';
  const host = process.env.EMULATOR_HOST || '127.0.0.1';
  start('emulator', 'apps/emulator/dist/main.js', { EMULATOR_PORT: port, EMULATOR_HOST: host }, { prettify: true });
  cloudinaryUrl = `cloudinary://hoist-local-key:hoist-local-secret@hoist-local?upload_prefix=http://${host}:${port}`;
  say(`CLOUDINARY_URL is unset: using the local Cloudinary emulator at http://${host}:${port}`);
} else {
  say(`uploading to Cloudinary via ${redactUrl(cloudinaryUrl)}`);
}
// The API needs the provider too: DELETE /v1/uploads/:id destroys assets.
start('api', 'apps/api/dist/main.js', { CLOUDINARY_URL: cloudinaryUrl });
start('worker', 'apps/worker/dist/main.js', { CLOUDINARY_URL: cloudinaryUrl });

const base = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
const localBase = base.replace('0.0.0.0', '127.0.0.1');
for (let i = 0; i < 100 && !stopping; i++) {
  const ready = await fetch(`${localBase}/readyz`).then((r) => r.ok, () => false);
  if (ready) break;
  await new Promise((r) => setTimeout(r, 200));
}
if (!stopping && env.AUTH === 'off') say('AUTH=off: no API keys needed, every upload belongs to the tenant "default" (local development only).');
if (!stopping) say(`ready. API on ${localBase} — try:\n      curl -F file=@photo.png ${localBase}/v1/uploads\n      curl ${localBase}/v1/uploads/<id>\n    Ctrl-C stops everything.`);
