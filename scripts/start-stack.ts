// `pnpm start`: the whole local stack in one terminal — migrations, the API, one worker and, when no
// provider has credentials (or PROVIDER names one that has none), the emulator standing in for it;
// with TEMP_STORAGE_URL=s3://… and no S3_ENDPOINT, a local S3 (s3rver) holding that bucket. Ctrl-C
// stops everything.
//
// Unlike test/support's Stack (a throwaway stack on a database, prefix and ports of its own), this
// runs your configuration: your database, ports and Cloudinary account, in your terminal. It shares
// the process helper with the tests and reads the configuration through the product's own schema.
import { connect } from 'node:net';
import { configuredProviders, loadConfig, tempStorageLocation, type Config, type HoistEnv } from '@hoist/config';
import { migrateToLatest } from '@hoist/db';
import { DEFAULTS as EMULATOR_DEFAULTS, EMULATED_PROVIDERS, loadConfig as loadEmulatorConfig, providerSettingsFor, type EmulatedProvider } from '@hoist/emulator/config';
import { redactUrl } from '@hoist/logger';
import { prettyFactory } from 'pino-pretty';
import { S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from '../test/support/local-s3.js';
import { TestProcess } from '../test/support/processes.js';

const say = (line: string) => process.stdout.write(`\x1b[1mhoist\x1b[0m ${line}\n`);
function fail(line: string): never {
  process.stderr.write(`\x1b[1;31mhoist\x1b[0m ${line}\n`);
  process.exit(1);
}

// Without credentials, the emulator stands in: for PROVIDER when it names a provider without them,
// else for Cloudinary when no provider has any. Its settings go into this process's environment
// before the configuration is read, so the API and worker get them too.
const emulatorPort = process.env.EMULATOR_PORT || String(EMULATOR_DEFAULTS.port);
const emulatorHost = process.env.EMULATOR_HOST || EMULATOR_DEFAULTS.host;
const emulatorUrl = `http://${emulatorHost.includes(':') ? `[${emulatorHost}]` : emulatorHost}:${emulatorPort}`;
const withCredentials = configuredProviders(process.env);
const wanted = process.env.PROVIDER || (withCredentials.length === 0 ? 'cloudinary' : undefined);
let emulated: EmulatedProvider | undefined;
if (wanted && !(withCredentials as string[]).includes(wanted)) {
  if (!(EMULATED_PROVIDERS as readonly string[]).includes(wanted)) fail(`PROVIDER=${wanted} has no credentials, and the emulator does not serve it (it serves ${EMULATED_PROVIDERS.join(', ')}).`);
  emulated = wanted as EmulatedProvider;
  // The emulator's accounts as its own EMULATOR_* settings make them, so Hoist's credentials match.
  let accounts;
  try {
    accounts = loadEmulatorConfig(process.env);
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  Object.assign(process.env, providerSettingsFor(emulated, emulatorUrl, accounts));
}

let config: Config;
try {
  config = loadConfig();
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}

/** Resolves true when something accepts TCP connections at the URL's host and port. */
function reachable(url: string, defaultPort: number): Promise<boolean> {
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

const problems: string[] = [];
if (!(await reachable(config.DATABASE_URL, 5432))) {
  problems.push(
    `PostgreSQL is not reachable at ${redactUrl(config.DATABASE_URL)} (DATABASE_URL).\n` +
      '      Start it with `docker compose up -d postgres`, or on Debian: `pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start`.',
  );
}
const clusterNodes = config.REDIS_CLUSTER_NODES;
if (clusterNodes) {
  // A cluster client needs one seed node that answers; it learns the others from it.
  const answers = await Promise.all(clusterNodes.map((node) => reachable(`redis://${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`, 6379)));
  if (!answers.some(Boolean)) problems.push(`No Redis Cluster node is reachable (REDIS_CLUSTER_NODES=${process.env.REDIS_CLUSTER_NODES ?? ''}).`);
} else if (!(await reachable(config.REDIS_URL, 6379))) {
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
  fail(`migration failed: ${error instanceof Error ? error.message : String(error)}`);
}

// Local development: no API keys unless you ask for them (AUTH=on pnpm start), and the browser
// upload page at /upload unless you turn it off (UPLOAD_PAGE=off). The processes write through
// pipes here, so their colours are asked for when this terminal shows them.
const settings: HoistEnv = { LOG_FORMAT: process.env.LOG_FORMAT || 'pretty', AUTH: process.env.AUTH || 'off', UPLOAD_PAGE: process.env.UPLOAD_PAGE || 'on' };
const env = {
  ...Object.fromEntries(Object.entries(process.env).filter((entry): entry is [string, string] => entry[1] !== undefined)),
  ...settings,
  ...(process.stdout.isTTY && !process.env.NO_COLOR ? { FORCE_COLOR: '1' } : {}),
};
const children: TestProcess[] = [];
let stopping = false;
let localS3: LocalS3 | undefined;

function start(name: string, script: string, extraEnv: Record<string, string>, { prettify = false } = {}): TestProcess {
  // The emulator logs JSON (it shares no code with Hoist); show it as readably as the rest.
  const pretty = prettify ? prettyFactory({ translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname', colorize: Boolean(process.stdout.isTTY) }) : undefined;
  const child = new TestProcess(name, script, { ...env, ...extraEnv }, {
    keepLines: 50,
    onLine: (line, stream) => (stream === 'stderr' ? process.stderr : process.stdout).write(pretty && line.startsWith('{') ? pretty(line) : `${line}\n`),
  });
  void child.exited.then(({ code, signal }) => {
    if (!stopping) {
      process.stderr.write(`hoist: ${name} exited (${signal ?? `code ${code}`}); stopping the stack\n`);
      stop(1);
    }
  });
  children.push(child);
  return child;
}

function stop(code = 0): void {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  void Promise.all(children.map((child) => child.stop(config.SHUTDOWN_TIMEOUT_MS + 5000))).then(async () => {
    await localS3?.stop();
    say('stopped');
    process.exit(code);
  });
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

if (emulated) {
  start('emulator', 'apps/emulator/dist/main.js', { EMULATOR_PORT: emulatorPort, EMULATOR_HOST: emulatorHost }, { prettify: true });
  say(`${emulated} has no credentials: using the local emulator at ${emulatorUrl} in its place`);
}
for (const provider of configuredProviders(config)) {
  if (provider !== emulated) say(`${provider}: uploading to the real service with your credentials`);
}
say(`uploads go to ${config.PROVIDER ?? configuredProviders(config)[0] ?? 'cloudinary'} unless they name another provider`);
const tempStorage = tempStorageLocation(config);
if (tempStorage.kind === 's3' && !tempStorage.endpoint) {
  // s3:// without an endpoint would mean AWS itself; for local runs a bucket of that name is served
  // here instead (its objects are temp bytes: they go when the stack stops).
  localS3 = await startLocalS3([tempStorage.bucket]);
  Object.assign(env, { S3_ENDPOINT: localS3.endpoint, AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey });
  say(`TEMP_STORAGE_URL is s3://${tempStorage.bucket}/${tempStorage.prefix} with no S3_ENDPOINT: using a local S3 (s3rver) at ${localS3.endpoint}`);
} else {
  say(`temp storage: ${tempStorage.kind === 'file' ? tempStorage.directory : `s3://${tempStorage.bucket}/${tempStorage.prefix} at ${tempStorage.endpoint}`}`);
}
// The API needs the providers too: DELETE /v1/uploads/:id destroys assets. Both inherit the
// emulator's settings from this process's environment (see above).
start('api', 'apps/api/dist/main.js', {});
start('worker', 'apps/worker/dist/main.js', {});

const base = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${config.PORT}`;
const localBase = base.replace('0.0.0.0', '127.0.0.1');
for (let i = 0; i < 100 && !stopping; i++) {
  const ready = await fetch(`${localBase}/readyz`).then(
    (r) => r.ok,
    () => false,
  );
  if (ready) break;
  await new Promise((r) => setTimeout(r, 200));
}
if (!stopping && env.AUTH === 'off') say('AUTH=off: no API keys needed, every upload belongs to the tenant "default" (local development only).');
if (!stopping && env.UPLOAD_PAGE === 'on') say(`upload page: ${localBase}/upload${env.AUTH === 'on' ? ' (asks for an API key)' : ''} — UPLOAD_PAGE=off turns it off`);
if (!stopping) say(`ready. API on ${localBase} — try:\n      curl -F file=@photo.png ${localBase}/v1/uploads\n      curl ${localBase}/v1/uploads/<id>\n    Ctrl-C stops everything.`);
