import { resolve } from 'node:path';
import { RATE_LIMIT_STYLES, type RateLimitStyle } from './faults.js';
import type { SignatureAlgorithm } from './signature.js';

/** Log levels accepted by `LOG_LEVEL` (pino's names). */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Settings of a running emulator, as read from the environment by {@link loadConfig}. */
export interface EmulatorConfig {
  /** Interface to listen on (`EMULATOR_HOST`, default `127.0.0.1`). */
  readonly host: string;
  /** TCP port (`EMULATOR_PORT`, default 9400; 0 picks a free port). */
  readonly port: number;
  /** The only cloud name the emulator answers for (`EMULATOR_CLOUD_NAME`). */
  readonly cloudName: string;
  /** API key clients must send (`EMULATOR_API_KEY`). */
  readonly apiKey: string;
  /** API secret used to verify request signatures (`EMULATOR_API_SECRET`). */
  readonly apiSecret: string;
  /** The only Cloudflare account id the Cloudflare Images API answers for, 32 hex digits (`EMULATOR_CLOUDFLARE_ACCOUNT_ID`). */
  readonly cloudflareAccountId: string;
  /** Bearer token Cloudflare Images clients must send (`EMULATOR_CLOUDFLARE_API_TOKEN`). */
  readonly cloudflareApiToken: string;
  /** Account hash in Cloudflare Images delivery URLs (`EMULATOR_CLOUDFLARE_ACCOUNT_HASH`). */
  readonly cloudflareAccountHash: string;
  /**
   * Base of the `url`/`secure_url` returned for assets (`EMULATOR_PUBLIC_URL`, no trailing slash).
   * Undefined when no fixed address is known (port 0 or a wildcard host): the base is then taken
   * from each request's Host header.
   */
  readonly publicUrl: string | undefined;
  /**
   * Directory holding asset bytes (`EMULATOR_STORAGE_DIR`). Undefined means a fresh directory
   * under the OS temp dir, created on start and removed on close.
   */
  readonly storageDir: string | undefined;
  /** Delay added before answering each upload request (`EMULATOR_LATENCY_MS`, default 0). */
  readonly latencyMs: number;
  /** Upload requests admitted per second, in fixed one-second windows (`EMULATOR_RATE_LIMIT_PER_SECOND`); null is unlimited. */
  readonly rateLimitPerSecond: number | null;
  /** What the limiter's answers say about the limit (`EMULATOR_RATE_LIMIT_STYLE`, default `cloudinary`). */
  readonly rateLimitStyle: RateLimitStyle;
  /** Logger level (`LOG_LEVEL`, default `info`). */
  readonly logLevel: LogLevel;
  /** The emulated ImageKit account's id, the last segment of its URL endpoint (`EMULATOR_IMAGEKIT_ID`). */
  readonly imagekitId: string;
  /** The ImageKit private API key clients must send (`EMULATOR_IMAGEKIT_PRIVATE_KEY`). */
  readonly imagekitPrivateKey: string;
  /** Largest file the ImageKit upload API takes, bytes (`EMULATOR_IMAGEKIT_MAX_FILE_BYTES`, default 25 MiB: the free plan's). */
  readonly imagekitMaxFileBytes: number;
  /** The hash request signatures must use (`EMULATOR_SIGNATURE_ALGORITHM`, `sha1` by default as on a Cloudinary account, or `sha256`). */
  readonly signatureAlgorithm: SignatureAlgorithm;
  /** Names of the upload presets that allow unsigned uploads (`EMULATOR_UNSIGNED_PRESETS`, comma-separated; none by default). */
  readonly unsignedPresets: readonly string[];
  /**
   * Base of the returned `secure_url` (`EMULATOR_SECURE_URL`, https only): a TLS proxy in front of
   * the emulator. Undefined means `secure_url` is the plain-http `url`, as the emulator has no TLS.
   */
  readonly secureUrl: string | undefined;
  /**
   * Loopback or private `host:port` pairs remote `file` URLs may be fetched from
   * (`EMULATOR_FETCH_ALLOW`, comma-separated); public hosts need no entry.
   */
  readonly fetchAllow: readonly string[];
}

/** Defaults shared by {@link loadConfig} and `buildEmulator`. */
export const DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 9400,
  cloudName: 'hoist-local',
  apiKey: 'hoist-local-key',
  apiSecret: 'hoist-local-secret',
  cloudflareAccountId: '0123456789abcdef0123456789abcdef',
  cloudflareApiToken: 'hoist-local-cloudflare-token',
  cloudflareAccountHash: 'hoist-local-hash',
  latencyMs: 0,
  rateLimitStyle: 'cloudinary',
  logLevel: 'info',
  imagekitId: 'hoist-local',
  imagekitPrivateKey: 'private_hoist-local-key',
  imagekitMaxFileBytes: 25 * 1024 * 1024,
  signatureAlgorithm: 'sha1',
  unsignedPresets: [],
  fetchAllow: [],
} satisfies Omit<EmulatorConfig, 'publicUrl' | 'storageDir' | 'rateLimitPerSecond' | 'secureUrl'>);

/** Thrown by {@link loadConfig}; `variable` names the offending environment variable. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`Invalid ${variable}: ${detail}`);
    this.name = 'ConfigError';
  }
}

type Env = Readonly<Record<string, string | undefined>>;

/** Every environment variable the emulator reads (a typo in a reader, or in a script that sets them, fails to compile). */
export const EMULATOR_ENV_NAMES = [
  'EMULATOR_HOST',
  'EMULATOR_PORT',
  'EMULATOR_STORAGE_DIR',
  'EMULATOR_CLOUD_NAME',
  'EMULATOR_API_KEY',
  'EMULATOR_API_SECRET',
  'EMULATOR_CLOUDFLARE_ACCOUNT_ID',
  'EMULATOR_CLOUDFLARE_API_TOKEN',
  'EMULATOR_CLOUDFLARE_ACCOUNT_HASH',
  'EMULATOR_PUBLIC_URL',
  'EMULATOR_LATENCY_MS',
  'EMULATOR_RATE_LIMIT_PER_SECOND',
  'EMULATOR_RATE_LIMIT_STYLE',
  'EMULATOR_SIGNATURE_ALGORITHM',
  'EMULATOR_UNSIGNED_PRESETS',
  'EMULATOR_SECURE_URL',
  'EMULATOR_FETCH_ALLOW',
  'LOG_LEVEL',
  'EMULATOR_IMAGEKIT_ID',
  'EMULATOR_IMAGEKIT_PRIVATE_KEY',
  'EMULATOR_IMAGEKIT_MAX_FILE_BYTES',
] as const;
export type EmulatorEnvName = (typeof EMULATOR_ENV_NAMES)[number];

/** The CLOUDINARY_URL that points Hoist at an emulator listening at `url` with these credentials (by default the emulator's own defaults). */
export function cloudinaryUrlFor(url: string, credentials: Pick<EmulatorConfig, 'apiKey' | 'apiSecret' | 'cloudName'> = DEFAULTS): string {
  return `cloudinary://${credentials.apiKey}:${credentials.apiSecret}@${credentials.cloudName}?upload_prefix=${url}`;
}

/** The providers the emulator serves, by the names Hoist's PROVIDER uses. */
export const EMULATED_PROVIDERS = ['cloudinary', 'imagekit', 'cloudflare'] as const;
export type EmulatedProvider = (typeof EMULATED_PROVIDERS)[number];

/** The emulator's accounts, as {@link providerSettingsFor} points Hoist at them. */
export type EmulatorAccounts = Pick<EmulatorConfig, 'apiKey' | 'apiSecret' | 'cloudName' | 'imagekitId' | 'imagekitPrivateKey' | 'cloudflareAccountId' | 'cloudflareApiToken' | 'cloudflareAccountHash'>;

/**
 * Hoist's settings (environment variables of the API and worker) that point one provider at an
 * emulator listening at `url` with these accounts (by default its defaults): what `pnpm start` and
 * the test stacks set when no real credentials are given.
 */
export function providerSettingsFor(provider: EmulatedProvider, url: string, accounts: EmulatorAccounts = DEFAULTS): Record<string, string> {
  switch (provider) {
    case 'cloudinary':
      return { CLOUDINARY_URL: cloudinaryUrlFor(url, accounts) };
    case 'imagekit':
      return {
        IMAGEKIT_PRIVATE_KEY: accounts.imagekitPrivateKey,
        IMAGEKIT_URL_ENDPOINT: `${url}/imagekit/${accounts.imagekitId}`,
        IMAGEKIT_UPLOAD_BASE_URL: url,
        IMAGEKIT_API_BASE_URL: url,
      };
    case 'cloudflare':
      return {
        CLOUDFLARE_ACCOUNT_ID: accounts.cloudflareAccountId,
        CLOUDFLARE_API_TOKEN: accounts.cloudflareApiToken,
        CLOUDFLARE_ACCOUNT_HASH: accounts.cloudflareAccountHash,
        CLOUDFLARE_API_BASE_URL: `${url}/client/v4`,
      };
  }
}

/** The start of the line the emulator logs once it listens (what scripts and tests wait for). */
export const LISTENING_MESSAGE = 'emulator listening on';

function read(env: Env, name: EmulatorEnvName): string | undefined {
  const value = env[name]?.trim();
  return value === undefined || value === '' ? undefined : value;
}

function integer(env: Env, name: EmulatorEnvName, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, `expected an integer between ${min} and ${max}, got '${raw}'`);
  }
  return value;
}

function positiveNumberOrNull(env: Env, name: EmulatorEnvName): number | null {
  const raw = read(env, name);
  if (raw === undefined) return null;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) {
    throw new ConfigError(name, `expected a positive number (or unset for no limit), got '${raw}'`);
  }
  return value;
}

function httpUrl(env: Env, name: EmulatorEnvName, protocols: readonly string[] = ['http:', 'https:']): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(name, `expected an absolute ${protocols.join(' or ')} URL, got '${raw}'`);
  }
  if (!protocols.includes(url.protocol)) {
    throw new ConfigError(name, `expected an ${protocols.map((protocol) => protocol.slice(0, -1)).join(' or ')} URL, got '${raw}'`);
  }
  return raw.replace(/\/+$/, '');
}

function list(env: Env, name: EmulatorEnvName, pattern: RegExp, expected: string): readonly string[] {
  const items = (read(env, name) ?? '').split(',').map((item) => item.trim()).filter((item) => item !== '');
  const bad = items.find((item) => !pattern.test(item));
  if (bad !== undefined) throw new ConfigError(name, `expected a comma-separated list of ${expected}, got '${bad}'`);
  return Object.freeze(items);
}

function signatureAlgorithm(env: Env): SignatureAlgorithm {
  const raw = read(env, 'EMULATOR_SIGNATURE_ALGORITHM')?.toLowerCase();
  if (raw === undefined) return DEFAULTS.signatureAlgorithm;
  if (raw !== 'sha1' && raw !== 'sha256') throw new ConfigError('EMULATOR_SIGNATURE_ALGORITHM', `expected sha1 or sha256, got '${raw}'`);
  return raw;
}

function token(env: Env, name: EmulatorEnvName, fallback: string, pattern: RegExp, expected: string): string {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!pattern.test(raw)) throw new ConfigError(name, `expected ${expected}, got '${raw}'`);
  return raw;
}

function rateLimitStyle(env: Env): RateLimitStyle {
  const raw = read(env, 'EMULATOR_RATE_LIMIT_STYLE');
  if (raw === undefined) return DEFAULTS.rateLimitStyle;
  const style = RATE_LIMIT_STYLES.find((candidate) => candidate === raw.toLowerCase());
  if (style === undefined) throw new ConfigError('EMULATOR_RATE_LIMIT_STYLE', `expected one of ${RATE_LIMIT_STYLES.join(', ')}, got '${raw}'`);
  return style;
}

function logLevel(env: Env): LogLevel {
  const raw = read(env, 'LOG_LEVEL');
  if (raw === undefined) return DEFAULTS.logLevel;
  const level = LOG_LEVELS.find((candidate) => candidate === raw.toLowerCase());
  if (level === undefined) {
    throw new ConfigError('LOG_LEVEL', `expected one of ${LOG_LEVELS.join(', ')}, got '${raw}'`);
  }
  return level;
}

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '[::]']);

/** Host as it must appear inside a URL (IPv6 literals need brackets). */
export function urlHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

/**
 * Reads the emulator's settings from `env`.
 * @throws {ConfigError} naming the first variable whose value is unusable.
 */
export function loadConfig(env: Env = process.env): EmulatorConfig {
  const host = read(env, 'EMULATOR_HOST') ?? DEFAULTS.host;
  const port = integer(env, 'EMULATOR_PORT', DEFAULTS.port, 0, 65535);
  const storageDir = read(env, 'EMULATOR_STORAGE_DIR');
  // A wildcard host or an ephemeral port is no address a client can use, so the per-request
  // Host header is the better base for returned URLs.
  const derivable = port !== 0 && !WILDCARD_HOSTS.has(host);
  return Object.freeze({
    host,
    port,
    cloudName: token(env, 'EMULATOR_CLOUD_NAME', DEFAULTS.cloudName, /^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -'),
    apiKey: token(env, 'EMULATOR_API_KEY', DEFAULTS.apiKey, /^[^\s:@/]+$/, 'a key without spaces, ":", "@" or "/"'),
    apiSecret: token(env, 'EMULATOR_API_SECRET', DEFAULTS.apiSecret, /^[^\s:@/]+$/, 'a secret without spaces, ":", "@" or "/"'),
    cloudflareAccountId: token(env, 'EMULATOR_CLOUDFLARE_ACCOUNT_ID', DEFAULTS.cloudflareAccountId, /^[0-9a-f]{32}$/, '32 lower-case hex digits'),
    // Any value (trimmed): checking its form would mean quoting a secret in the error.
    cloudflareApiToken: read(env, 'EMULATOR_CLOUDFLARE_API_TOKEN') ?? DEFAULTS.cloudflareApiToken,
    cloudflareAccountHash: token(env, 'EMULATOR_CLOUDFLARE_ACCOUNT_HASH', DEFAULTS.cloudflareAccountHash, /^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -'),
    publicUrl: httpUrl(env, 'EMULATOR_PUBLIC_URL') ?? (derivable ? `http://${urlHost(host)}:${port}` : undefined),
    storageDir: storageDir === undefined ? undefined : resolve(storageDir),
    latencyMs: integer(env, 'EMULATOR_LATENCY_MS', DEFAULTS.latencyMs, 0, 600_000),
    rateLimitPerSecond: positiveNumberOrNull(env, 'EMULATOR_RATE_LIMIT_PER_SECOND'),
    rateLimitStyle: rateLimitStyle(env),
    logLevel: logLevel(env),
    imagekitId: token(env, 'EMULATOR_IMAGEKIT_ID', DEFAULTS.imagekitId, /^[A-Za-z0-9_-]+$/, 'letters, digits, _ or -'),
    imagekitPrivateKey: token(env, 'EMULATOR_IMAGEKIT_PRIVATE_KEY', DEFAULTS.imagekitPrivateKey, /^[^\s:]+$/, 'a key without spaces or ":"'),
    imagekitMaxFileBytes: integer(env, 'EMULATOR_IMAGEKIT_MAX_FILE_BYTES', DEFAULTS.imagekitMaxFileBytes, 1, Number.MAX_SAFE_INTEGER),
    signatureAlgorithm: signatureAlgorithm(env),
    unsignedPresets: list(env, 'EMULATOR_UNSIGNED_PRESETS', /^[A-Za-z0-9_-]+$/, 'preset names (letters, digits, _ or -)'),
    secureUrl: httpUrl(env, 'EMULATOR_SECURE_URL', ['https:']),
    fetchAllow: list(env, 'EMULATOR_FETCH_ALLOW', /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'host:port pairs'),
  });
}
