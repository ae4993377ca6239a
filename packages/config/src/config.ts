import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllowList } from '@hoist/remote-fetch';
import { z } from 'zod';

const MiB = 1024 * 1024;

/** The providers Hoist speaks, by the names configuration, uploads and results use. */
export const PROVIDER_NAMES = ['cloudinary', 'imagekit', 'cloudflare'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** The variables that, all set, configure each provider. */
const PROVIDER_CREDENTIALS: Record<ProviderName, readonly EnvName[]> = {
  cloudinary: ['CLOUDINARY_URL'],
  imagekit: ['IMAGEKIT_PRIVATE_KEY', 'IMAGEKIT_URL_ENDPOINT'],
  cloudflare: ['CLOUDFLARE_ACCOUNT_ID', 'CLOUDFLARE_API_TOKEN'],
};

const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max);
const url = (protocols: RegExp) =>
  z.string().refine((value) => {
    try {
      return protocols.test(new URL(value).protocol);
    } catch {
      return false;
    }
  }, 'must be a valid URL with a supported scheme');

/**
 * Every environment variable Hoist reads, with its type and default. The README's table is written
 * from this schema; keep the two in step.
 */
const schema = z.object({
  /** Postgres connection string; the database is created by `pnpm db:migrate` when missing. */
  DATABASE_URL: url(/^postgres(ql)?:$/).default('postgres://postgres@127.0.0.1:5432/hoist'),
  /** Redis connection string for the queues. */
  REDIS_URL: url(/^rediss?:$/).default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster: seed nodes as `host:port,host:port,…` (IPv6 as `[::1]:7000`). Set, every Redis user
   * connects to the cluster instead, REDIS_URL supplies only the password, user and TLS (`rediss:`)
   * for every node, and the key prefix becomes a hash tag (`{hoist}`). Unset: the one server at REDIS_URL.
   */
  REDIS_CLUSTER_NODES: z
    .string()
    .transform((value, context) => {
      const nodes = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
      const parsed = nodes.map(parseRedisNode);
      const bad = nodes.filter((_, index) => parsed[index] === undefined);
      if (bad.length > 0 || nodes.length === 0) {
        context.addIssue({ code: 'custom', message: `must be host:port[,host:port…] with ports 1–65535${bad.length ? ` (not: ${bad.join(', ')})` : ''}` });
        return z.NEVER;
      }
      return parsed.filter((node) => node !== undefined);
    })
    .optional(),
  /** Key prefix for every BullMQ key, so several deployments (or test runs) can share one Redis. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9:_-]{1,64}$/, 'letters, digits, ":", "_" and "-" only').default('hoist'),
  /**
   * The provider uploads go to unless an upload or its tenant names another: `cloudinary`,
   * `imagekit` or `cloudflare`. Unset: the one whose credentials are set (an error when several are).
   * An API may name one it has no credentials for (it needs them only to delete); a worker refuses to
   * start without them.
   */
  PROVIDER: z.enum(PROVIDER_NAMES).optional(),
  /**
   * A second provider uploads go to while PROVIDER's is failing (a circuit breaker per worker:
   * PROVIDER_FAILOVER_AFTER retryable failures or timeouts in a row open it; after
   * PROVIDER_FAILOVER_PROBE_MS one attempt probes the primary). Rate limits never trigger it. Unset: no failover.
   */
  PROVIDER_FAILOVER: z.enum(PROVIDER_NAMES).optional(),
  /** Retryable failures or timeouts in a row, per worker, after which new attempts fail over. */
  PROVIDER_FAILOVER_AFTER: integer(1, 1000).default(5),
  /** How long attempts go to the failover before one probes the primary again, ms. */
  PROVIDER_FAILOVER_PROBE_MS: integer(100).default(30_000),
  /**
   * A second provider every upload bound for PROVIDER's is stored on as well; the result lists both.
   * Not together with PROVIDER_FAILOVER. Unset: no mirror.
   */
  PROVIDER_MIRROR: z.enum(PROVIDER_NAMES).optional(),
  /** `both`: an upload succeeds once both copies are stored (else it is retried); `primary`: the mirror's failure is logged only. */
  PROVIDER_MIRROR_REQUIRE: z.enum(['both', 'primary']).default('both'),
  /** `cloudinary://KEY:SECRET@CLOUD[?upload_prefix=URL]`; unset means "use the local emulator". */
  CLOUDINARY_URL: url(/^cloudinary:$/).optional(),
  /** ImageKit's private API key (Basic auth of the upload and media APIs); with the URL endpoint it configures ImageKit. */
  IMAGEKIT_PRIVATE_KEY: z.string().min(1).optional(),
  /**
   * ImageKit's public key. Not needed by the server (the SDK signs with the private key alone);
   * accepted so the three keys of ImageKit's dashboard can be set together.
   */
  IMAGEKIT_PUBLIC_KEY: z.string().min(1).optional(),
  /** Where ImageKit delivers the account's files, e.g. `https://ik.imagekit.io/your_id`. */
  IMAGEKIT_URL_ENDPOINT: url(/^https?:$/).optional(),
  /** ImageKit's upload API, for an emulator; default `https://upload.imagekit.io`. */
  IMAGEKIT_UPLOAD_BASE_URL: url(/^https?:$/).optional(),
  /** ImageKit's media (file) API, for an emulator; default `https://api.imagekit.io`. */
  IMAGEKIT_API_BASE_URL: url(/^https?:$/).optional(),
  /** Largest file the ImageKit plan stores, bytes; default the adapter's (the free plan's). */
  IMAGEKIT_MAX_FILE_BYTES: integer(1).optional(),
  /** Cloudflare account id; with the API token it configures Cloudflare Images. */
  CLOUDFLARE_ACCOUNT_ID: z.string().regex(/^[0-9a-fA-F]{32}$/, 'the 32 hex digits of a Cloudflare account id').optional(),
  /** A Cloudflare API token with the Images Write permission. */
  CLOUDFLARE_API_TOKEN: z.string().min(1).optional(),
  /**
   * The account hash of delivery URLs (`https://imagedelivery.net/<hash>/<id>/<variant>`). Not
   * needed: Hoist takes every delivery URL from Cloudflare's own answer; accepted for completeness.
   */
  CLOUDFLARE_ACCOUNT_HASH: z.string().regex(/^[0-9a-zA-Z_-]{1,64}$/, 'an account hash (letters, digits, "_" and "-")').optional(),
  /** Cloudflare's API, for an emulator; default `https://api.cloudflare.com/client/v4`. */
  CLOUDFLARE_API_BASE_URL: url(/^https?:$/).optional(),
  /**
   * Only `false`: Cloudflare cannot make an image with a custom id private ("Images with custom ID
   * paths cannot be made private using signed URL tokens"), and Hoist needs custom ids so a retry
   * replaces rather than duplicates. `true` is refused at start-up rather than stored public.
   */
  CLOUDFLARE_REQUIRE_SIGNED_URLS: z.enum(['false'], { message: 'only false: Cloudflare cannot make images with custom ids (which Hoist needs for retries) private' }).default('false'),
  /** `on`: every /v1 request needs an API key. `off`: no keys, one `default` tenant — local development only. */
  AUTH: z.enum(['on', 'off']).default('on'),
  /** Requests per minute per tenant on /v1 (0: unlimited). */
  TENANT_RATE_LIMIT_PER_MINUTE: integer(0).default(1200),
  /** Queued + processing uploads a tenant may have before new uploads get 429 (0: unlimited). */
  TENANT_MAX_UNFINISHED_UPLOADS: integer(0).default(10_000),
  /** SSE streams and long-polls (`?wait=`) one tenant may hold open at once, across API processes; more get 429 (0: unlimited). */
  TENANT_MAX_STREAMS: integer(0).default(100),
  /** How often an open SSE stream or long-poll looks its API key up again, ms (at least 1000: each look is a query); a revoked key ends it with 401. */
  STREAM_AUTH_RECHECK_MS: integer(1000).default(30_000),
  /**
   * Outbound allowlist for URL uploads and webhook deliveries: comma-separated `host:port` entries
   * that may be reached even though they are loopback, private or otherwise refused (local test
   * servers, a media server on the LAN). Empty by default: only public http(s) servers.
   */
  URL_FETCH_ALLOW: z
    .string()
    .default('')
    .transform((value, context) => {
      try {
        return parseAllowList(value);
      } catch (error) {
        context.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** Longest a URL upload's download may take, ms (DNS, redirects and body together). */
  URL_FETCH_TIMEOUT_MS: integer(1_000).default(60_000),
  /**
   * URL fetches one worker process runs at once; the rest wait in the queue (not in a worker slot), so
   * slow sources cannot take the slots provider uploads need. At most WORKER_CONCURRENCY − 1 are used.
   */
  URL_FETCH_CONCURRENCY: integer(1, 1000).default(2),
  /** Slowest acceptable URL source, bytes/s averaged over URL_FETCH_MIN_RATE_WINDOW_MS; slower fails with `url_fetch_too_slow`. 0: no minimum. */
  URL_FETCH_MIN_BYTES_PER_SEC: integer(0).default(1024),
  /** The window URL_FETCH_MIN_BYTES_PER_SEC is averaged over, ms: a source may stall for less than this without failing. */
  URL_FETCH_MIN_RATE_WINDOW_MS: integer(100).default(10_000),
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: integer(0, 65535).default(3000),
  /** Directory for upload bytes between accept and provider upload. */
  UPLOAD_TMP_DIR: z.string().min(1).default(join(tmpdir(), 'hoist-uploads')),
  // --- Temp storage on S3-compatible object storage (read by tempStorageLocation) ---
  /**
   * Where upload bytes wait between accept and provider upload: `file:///absolute/dir`, or
   * `s3://BUCKET/PREFIX` (AWS S3, MinIO, Cloudflare R2…). Unset: the directory UPLOAD_TMP_DIR.
   */
  TEMP_STORAGE_URL: z
    .string()
    .optional()
    .superRefine((value, context) => {
      if (value === undefined) return;
      const problem = tempStorageUrlProblem(value);
      if (problem) context.addIssue({ code: 'custom', message: problem });
    }),
  /** An S3-compatible endpoint for `s3://` temp storage (MinIO, R2, a local s3rver), e.g. `http://127.0.0.1:9000`; requests then use path-style addressing. Unset: AWS S3. */
  S3_ENDPOINT: url(/^https?:$/).optional(),
  /** The bucket's region for `s3://` temp storage; default `us-east-1` (R2: `auto`). */
  AWS_REGION: z.string().regex(/^[a-z0-9-]{1,32}$/, 'a region name such as eu-west-1').optional(),
  /** Credentials for `s3://` temp storage; unset, the AWS SDK's default chain (profile, SSO, instance or task role). Set both or neither. */
  AWS_ACCESS_KEY_ID: z.string().min(1).optional(),
  AWS_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  // --- end of temp storage on S3 ---
  /** Largest accepted file, bytes. */
  MAX_UPLOAD_BYTES: integer(1).default(100 * MiB),
  /** Comma-separated content types accepted (sniffed from the bytes). */
  ALLOWED_CONTENT_TYPES: z
    .string()
    .default(
      'image/png,image/jpeg,image/gif,image/webp,image/avif,image/svg+xml,image/heic,image/heif,video/mp4,video/webm,video/quicktime,application/pdf',
    )
    .transform((value) => value.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-z0-9.+-]+\/[a-z0-9.+-]+$/, 'must be a list of type/subtype')).min(1)),
  /**
   * `true`: accept SVGs with script, event handlers, `foreignObject`, external references and the
   * like. Default `false`: such SVGs are refused (415 `active-svg`; URL uploads fail with
   * `active_svg`), since the provider serves them as they are and their script would run at its origin.
   */
  ALLOW_ACTIVE_SVG: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  /** Jobs one worker process runs at once. */
  WORKER_CONCURRENCY: integer(1, 1000).default(8),
  /** Provider attempts per upload (rate-limited calls don't count). */
  MAX_ATTEMPTS: integer(1, 100).default(8),
  /**
   * Re-claims allowed per upload: times a worker died (or lost its job lock) while running it and
   * another took it over. One more fails it with `reclaims_exhausted`, so an upload that kills every
   * worker that runs it still ends. Counted apart from MAX_ATTEMPTS.
   */
  MAX_RECLAIMS: integer(0, 100).default(5),
  /** First retry delay, ms; doubles each attempt, with full jitter, up to RETRY_MAX_DELAY_MS. */
  RETRY_BASE_DELAY_MS: integer(1).default(1000),
  RETRY_MAX_DELAY_MS: integer(1).default(5 * 60_000),
  /**
   * Pause of the whole cluster when the provider rate-limits without saying until when, ms; doubles
   * with each refusal of a request sent after the pause (up to 1 h), until a success. Short by
   * default: a hint-less 420 at a learned pace most often means one request too many in the
   * provider's window, and a long pause would cost more throughput than the 420 did.
   */
  RATE_LIMIT_FALLBACK_MS: integer(1).default(250),
  /**
   * How long a worker's claim on a running job lasts without renewal, ms. A crashed worker's jobs are
   * handed to another worker after about this long (BullMQ's stalled-job check runs at the same interval).
   */
  WORKER_LOCK_DURATION_MS: integer(1000).default(30_000),
  /** Files larger than this go to the provider in chunks, bytes (Cloudinary requires it above 100 MB). */
  CHUNKED_UPLOAD_THRESHOLD_BYTES: integer(1).default(100 * 1000 * 1000),
  /** Chunk size for chunked uploads, bytes; at least 5 MB (Cloudinary's minimum but for the last chunk). */
  CHUNK_SIZE_BYTES: integer(5 * 1000 * 1000).default(20 * 1000 * 1000),
  /**
   * Cluster-wide ceiling on provider uploads per second (all workers together). Unset: no ceiling,
   * the workers find the provider's limit from its 420/429 answers.
   */
  PROVIDER_RATE_LIMIT: z.coerce.number().positive().max(100_000).optional(),
  /** How often a worker runs the reconciler (one at a time across the cluster), ms; 0 disables it. */
  RECONCILE_INTERVAL_MS: integer(0).default(30_000),
  /**
   * How often a worker checks the queue-loss marker in Redis, ms; 0 disables the check. When the
   * marker is gone (Redis lost its data) the reconciler runs at once for every unfinished upload.
   */
  QUEUE_LOSS_CHECK_INTERVAL_MS: integer(0).default(5_000),
  /** An unfinished upload untouched for this long is checked against the queue by the reconciler, ms. */
  RECONCILE_STALE_AFTER_MS: integer(1_000).default(120_000),
  /**
   * Bytes of uploads that failed by running out of attempts (a provider outage) are kept this long so
   * they can be retried (POST /v1/uploads/:id/retry, `pnpm hoist queue retry`), ms; 0 deletes them at
   * once. Uploads the provider refused are deleted at once whatever this says.
   */
  FAILED_UPLOAD_RETENTION_MS: integer(0).default(24 * 60 * 60_000),
  /** Temp files no unfinished upload refers to are removed once this old, ms. */
  TEMP_ORPHAN_AGE_MS: integer(60_000).default(6 * 60 * 60_000),
  /** Provider request timeout, ms (the Cloudinary SDK reports a timeout as HTTP 499). */
  PROVIDER_TIMEOUT_MS: integer(1).default(120_000),
  /** Attempts per webhook delivery before it is given up as `failed` (16 with the default delays: retries span about 4–7 hours). */
  WEBHOOK_MAX_ATTEMPTS: integer(1, 50).default(16),
  /** First webhook retry delay ceiling, ms; doubles per attempt (half fixed, half jitter), up to WEBHOOK_RETRY_MAX_DELAY_MS. */
  WEBHOOK_RETRY_BASE_DELAY_MS: integer(1).default(10_000),
  WEBHOOK_RETRY_MAX_DELAY_MS: integer(1).default(60 * 60_000),
  /** A webhook receiver must answer within this long, ms (connecting, sending and its whole answer). */
  WEBHOOK_TIMEOUT_MS: integer(100, 120_000).default(10_000),
  /** How often each worker moves new webhook events into deliveries and the queue, ms. */
  WEBHOOK_RELAY_INTERVAL_MS: integer(50).default(1_000),
  /** Webhook deliveries one worker process sends at once. */
  WEBHOOK_CONCURRENCY: integer(1, 1000).default(16),
  /**
   * Webhook deliveries in flight to one endpoint, across every worker; more wait (no attempt spent),
   * so one tenant's slow receivers cannot take every delivery slot.
   */
  WEBHOOK_ENDPOINT_CONCURRENCY: integer(1, 1000).default(4),
  /**
   * Webhook deliveries in flight for one tenant (all its endpoints), across every worker; more wait
   * (no attempt spent), so a tenant with many slow endpoints cannot take every slot either. 0: no bound.
   */
  WEBHOOK_TENANT_CONCURRENCY: integer(0, 10_000).default(8),
  /**
   * Webhook events whose deliveries are all finished are deleted, with their deliveries and attempts,
   * once this many days old; 0 keeps them forever. Events with a pending delivery are never deleted.
   */
  WEBHOOK_RETENTION_DAYS: integer(0, 36_500).default(30),
  /** Protects /metrics (API and worker) with `Authorization: Bearer <token>`; unset, /metrics is open. */
  METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * Turns on the queue dashboard at /admin/queues and is its only credential (`Authorization: Bearer
   * <token>`, or the /admin/login page for browsers); separate from tenant API keys. Unset: the
   * dashboard is off and /admin/* answers 404.
   */
  ADMIN_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  /** `true`: the dashboard shows the queues but refuses every action (retry, clean, pause…). */
  ADMIN_READ_ONLY: z
    .enum(['true', 'false'], { message: 'must be true or false' })
    .default('false')
    .transform((value) => value === 'true'),
  /**
   * `on`: the API serves the browser upload page at /upload (Uppy's Dashboard over /v1/tus; with
   * AUTH=on it asks for an API key and keeps it in memory only). `off` (default): /upload is 404.
   */
  UPLOAD_PAGE: z.enum(['on', 'off']).default('off'),
  /**
   * Origins (`https://app.example.com`, comma-separated) whose pages may call /v1 from the browser
   * (CORS, /v1/tus included). Unset: no CORS headers, so only same-origin pages (like /upload) can.
   */
  CORS_ORIGINS: z
    .string()
    .transform((value, context) => {
      const entries = value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
      const bad = entries.filter((entry) => corsOrigin(entry) === undefined);
      if (bad.length > 0) {
        context.addIssue({ code: 'custom', message: `must be origins like https://app.example.com (scheme, host, optional port; no path, no "*", no trailing dot), comma-separated (not: ${bad.join(', ')})` });
        return z.NEVER;
      }
      return [...new Set(entries.map((entry) => corsOrigin(entry) ?? entry))];
    })
    .default([]),
  /** Port of the worker's /metrics, /healthz and /readyz server (on HOST); 0 turns it off. */
  WORKER_METRICS_PORT: integer(0, 65535).default(9464),
  /** A request (headers and body) must arrive within this long, ms; protects against slow-drip clients. */
  REQUEST_TIMEOUT_MS: integer(1_000).default(10 * 60_000),
  /** How long SIGTERM waits for in-flight work before closing anyway, ms. */
  SHUTDOWN_TIMEOUT_MS: integer(0).default(30_000),
  // Resumable ingest (tus, /v1/tus).
  /** A tus upload whose last byte has not arrived this long after its creation expires (its partial bytes are deleted, it ends `failed` with `upload_expired`), ms. */
  TUS_EXPIRATION_MS: integer(60_000).default(24 * 60 * 60_000),
  /** How often the API looks for expired tus uploads, ms. */
  TUS_EXPIRY_INTERVAL_MS: integer(1_000).default(5 * 60_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** `pretty` for human-readable logs (pnpm start sets it), `json` for production. */
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
});

export type Config = Readonly<z.output<typeof schema>>;

/** The name of an environment variable Hoist reads. */
export type EnvName = keyof z.input<typeof schema>;
/** Settings for a Hoist process's environment, by variable name (a misspelt name fails to compile). */
export type HoistEnv = Partial<Record<EnvName, string>>;

/** Thrown when the environment is invalid; the message names every bad variable. */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads and validates the configuration once. Empty strings count as unset, so `FOO=` in a shell
 * or compose file falls back to the default instead of failing obscurely.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const input = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const parsed = schema.safeParse(input);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.') || '(environment)';
        const given = typeof input[name] === 'string' ? ` (got ${JSON.stringify(redact(name, input[name]))})` : '';
        return `${name}: ${issue.message}${given}`;
      }),
    );
  }
  if (parsed.data.RETRY_MAX_DELAY_MS < parsed.data.RETRY_BASE_DELAY_MS) {
    throw new ConfigError(['RETRY_MAX_DELAY_MS: must be at least RETRY_BASE_DELAY_MS']);
  }
  if (parsed.data.WEBHOOK_RETRY_MAX_DELAY_MS < parsed.data.WEBHOOK_RETRY_BASE_DELAY_MS) {
    throw new ConfigError(['WEBHOOK_RETRY_MAX_DELAY_MS: must be at least WEBHOOK_RETRY_BASE_DELAY_MS']);
  }
  if (parsed.data.S3_ENDPOINT !== undefined) {
    const endpoint = new URL(parsed.data.S3_ENDPOINT);
    // It is logged (the ready line, start-up errors): a secret must not ride in it.
    if (endpoint.username || endpoint.password) throw new ConfigError(['S3_ENDPOINT: credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, not in the URL']);
  }
  if ((parsed.data.AWS_ACCESS_KEY_ID === undefined) !== (parsed.data.AWS_SECRET_ACCESS_KEY === undefined)) {
    throw new ConfigError(['AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY: set both, or neither (the AWS SDK credential chain)']);
  }
  checkProviders(parsed.data);
  if (parsed.data.REDIS_CLUSTER_NODES && !/^\/?0?$/.test(new URL(parsed.data.REDIS_URL).pathname)) {
    throw new ConfigError(['REDIS_URL: a Redis Cluster has only database 0; drop the database number when REDIS_CLUSTER_NODES is set']);
  }
  return Object.freeze(parsed.data);
}

/**
 * Where temp storage lives, as `openTempStorage` (@hoist/temp-storage) takes it: TEMP_STORAGE_URL
 * when set (a bucket with S3_ENDPOINT and AWS_REGION, or a directory), else UPLOAD_TMP_DIR.
 * Credentials are not in it: the AWS SDK reads AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY (or its
 * chain) from the environment itself, so they are never passed around or logged.
 */
export type TempStorageLocation =
  | { kind: 'file'; directory: string }
  | { kind: 's3'; bucket: string; prefix: string; endpoint: string | undefined; region: string | undefined };

export function tempStorageLocation(config: Config): TempStorageLocation {
  if (config.TEMP_STORAGE_URL === undefined) return { kind: 'file', directory: config.UPLOAD_TMP_DIR };
  const url = new URL(config.TEMP_STORAGE_URL);
  if (url.protocol === 'file:') return { kind: 'file', directory: fileURLToPath(url) };
  return { kind: 's3', bucket: url.hostname, prefix: decodeURIComponent(url.pathname.replace(/^\//, '')), endpoint: config.S3_ENDPOINT, region: config.AWS_REGION };
}

/** Why a TEMP_STORAGE_URL cannot be used, or undefined when it can. */
function tempStorageUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be file:///absolute/dir or s3://BUCKET/PREFIX';
  }
  if (url.protocol === 'file:') return url.host === '' ? undefined : 'a file: URL names a local directory: file:///absolute/dir';
  if (url.protocol !== 's3:') return 'must be file:///absolute/dir or s3://BUCKET/PREFIX';
  if (url.username || url.password) return 'credentials go in AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, not in the URL';
  if (url.search || url.hash) return 'an s3: URL is s3://BUCKET/PREFIX, with no query or fragment';
  // S3's bucket naming rules (3–63 lower-case letters, digits, dots and hyphens).
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(url.hostname)) return 'the bucket name must be 3–63 lower-case letters, digits, dots and hyphens';
  return undefined;
}

/**
 * An origin as browsers send it in `Origin` (scheme, host, port when not the default; lower case),
 * from a CORS_ORIGINS entry, or undefined when the entry is not just an http(s) origin. URL parsing
 * takes a `*` in the host (`https://*.example.com`, even as `%2A`) and a trailing dot as a host; no
 * browser sends either as an Origin, and a wildcard here would read as a promise this list cannot keep.
 */
function corsOrigin(entry: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(entry);
  } catch {
    return undefined;
  }
  const bare = parsed.pathname === '/' && !entry.endsWith('/') && parsed.search === '' && parsed.hash === '' && parsed.username === '' && parsed.password === '';
  const plainHost = !parsed.hostname.includes('*') && !parsed.hostname.endsWith('.');
  return bare && plainHost && /^https?:$/.test(parsed.protocol) ? parsed.origin : undefined;
}

/** `host:port` or `[ipv6]:port`; undefined when it is neither. */
function parseRedisNode(entry: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]]+)):(\d{1,5})$/.exec(entry);
  const port = Number(match?.[3]);
  const host = match?.[1] ?? match?.[2];
  return host && port >= 1 && port <= 65_535 ? { host, port } : undefined;
}

/** Connection strings carry passwords and tokens are secrets; error messages must show neither. */
/**
 * The providers whose credentials are all set, in PROVIDER_NAMES order: of a loaded configuration,
 * or of a raw environment (where an empty string counts as unset, as loadConfig reads it).
 */
export function configuredProviders(config: Partial<Record<EnvName, unknown>>): ProviderName[] {
  return PROVIDER_NAMES.filter((name) => missingCredentials(config, name).length === 0);
}

/** The variables a provider still needs before it is configured (none when it is). */
export function missingCredentials(config: Partial<Record<EnvName, unknown>>, name: ProviderName): EnvName[] {
  return PROVIDER_CREDENTIALS[name].filter((variable) => config[variable] === undefined || config[variable] === '');
}

/**
 * The provider uploads go to by default: PROVIDER, else the only configured one; undefined when none
 * is configured and PROVIDER is unset (the API then describes Cloudinary's limits and cannot delete;
 * a worker refuses to start).
 */
export function defaultProvider(config: Config): ProviderName | undefined {
  return config.PROVIDER ?? configuredProviders(config)[0];
}

/** Half-set credentials, a PROVIDER without credentials, or several providers and no PROVIDER: each a clear error at start-up. */
function checkProviders(config: z.output<typeof schema>): void {
  const problems: string[] = [];
  for (const name of PROVIDER_NAMES) {
    const variables = PROVIDER_CREDENTIALS[name];
    const set = variables.filter((variable) => config[variable] !== undefined);
    if (set.length > 0 && set.length < variables.length) problems.push(`${variables.join(' / ')}: set all of them to use ${name}, or none (missing: ${variables.filter((v) => !set.includes(v)).join(', ')})`);
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const configured = configuredProviders(config);
  if (config.PROVIDER === undefined && configured.length > 1) {
    throw new ConfigError([`PROVIDER: several providers have credentials (${configured.join(', ')}); name the default one`]);
  }
  const primary = config.PROVIDER ?? configured[0];
  if (config.PROVIDER_MIRROR !== undefined && config.PROVIDER_FAILOVER !== undefined) {
    throw new ConfigError(['PROVIDER_MIRROR / PROVIDER_FAILOVER: set one of them; a mirror already keeps a second copy of every upload'] );
  }
  if (config.PROVIDER_MIRROR !== undefined && config.PROVIDER_MIRROR === primary) {
    throw new ConfigError([`PROVIDER_MIRROR: must be another provider than ${primary}, the one it copies`]);
  }
  if (config.PROVIDER_FAILOVER !== undefined && config.PROVIDER_FAILOVER === primary) {
    throw new ConfigError([`PROVIDER_FAILOVER: must be another provider than ${primary}, the one it stands in for`]);
  }
}

function redact(name: string, value: string): string {
  if (name.endsWith('_TOKEN') || name.endsWith('_KEY')) return '[redacted]';
  // Any URL-like value (…_URL, …_URL_ENDPOINT, a mistyped one) may carry user:password@.
  return value.replace(/\/\/([^@/]*)@/, '//***@');
}
