import { pino, stdSerializers, type Logger, type LoggerOptions } from 'pino';

/**
 * Field names whose value is a credential, wherever they appear in a line (any depth, any case):
 * the value is replaced by `[redacted]` before the line is written, so a secret that slips into a log
 * object never reaches the output. Headers (`authorization`, `cookie`, `set-cookie`, webhook
 * signatures), tokens, passwords, provider and webhook secrets, and the configuration's connection
 * strings.
 */
export const REDACTED_KEYS: readonly string[] = [
  'authorization',
  'cookie',
  'set-cookie',
  'token',
  'password',
  'secret',
  'apiSecret',
  'api_secret',
  'signature',
  // Webhook signatures and endpoint secrets (a signature is as good as the secret for a replay).
  'hoist-signature',
  'webhookSecret',
  'privateKey',
  'apiToken',
  'CLOUDINARY_URL',
  'IMAGEKIT_PRIVATE_KEY',
  'CLOUDFLARE_API_TOKEN',
  'DATABASE_URL',
  'REDIS_URL',
  'ADMIN_TOKEN',
  'METRICS_TOKEN',
];

/**
 * Field names whose value is, or may hold, a URL: the request line (`url`, Fastify's request
 * serializer's, where a client may put `?access_token=`), URL fields (URL uploads' source, webhook
 * endpoints), error texts (`message`, `stack`), which often quote the URL they failed on, and the
 * line's own message (`msg`). Their string values go through {@link redactUrl}, which keeps what is
 * not a credential, so the line still says which request or host it was about.
 */
const URL_KEYS = new Set(['url', 'sourceUrl', 'message', 'stack', 'msg']);

const REDACTED = new Set(REDACTED_KEYS.map((key) => key.toLowerCase()));
/** A JSON key of a line that is one of {@link REDACTED_KEYS}, in any case. */
const REDACTED_KEY_IN_JSON = new RegExp(`"(?:${REDACTED_KEYS.join('|')})":`, 'i');

/**
 * The one redaction pass, over each finished line just before it is written (pino's `streamWrite`
 * hook). Most lines hold neither a credential-named key nor a URL that could carry a credential
 * (`@` for userinfo, `=` for a query value): those are written as they are, after one scan. The
 * rest are parsed, redacted at every depth and written again. Cheaper than pino's path redaction
 * (which clones and walks every logged object for every wildcard path) and broader: a credential
 * key is found at any depth, not only at the paths someone listed.
 */
/** What is written instead of a line redactLine cannot parse (pino never writes one). */
const UNPARSEABLE_LINE = `${JSON.stringify({ level: 50, msg: 'a log line that is not one JSON object was dropped: it could not be checked for credentials' })}\n`;

export function redactLine(line: string): string {
  if (!REDACTED_KEY_IN_JSON.test(line) && line.indexOf('@') === -1 && line.indexOf('=') === -1) return line;
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    // Not one JSON line (never pino's own output): its keys can't be told apart, so it is not written.
    return UNPARSEABLE_LINE;
  }
  return `${JSON.stringify(redactValue(parsed))}\n`;
}

function redactValue(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redactValue);
  if (value === null || typeof value !== 'object') return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    if (REDACTED.has(key.toLowerCase())) out[key] = '[redacted]';
    else if (typeof inner === 'string') out[key] = URL_KEYS.has(key) ? redactUrl(inner) : inner;
    else out[key] = redactValue(inner);
  }
  return out;
}

export interface LoggerSettings {
  /** Process name in every line (`api`, `worker`, …). */
  name: string;
  level: string;
  /** `pretty` writes human-readable lines through pino-pretty (a dev dependency); `json` is for production. */
  format: 'json' | 'pretty';
}

export function pinoOptions(settings: LoggerSettings): LoggerOptions {
  return {
    name: settings.name,
    level: settings.level,
    serializers: { err: stdSerializers.err, error: stdSerializers.err },
    // Credentials never reach the output: every finished line goes through redactLine, the message
    // text too (a URL interpolated into it is redacted like one in a field).
    hooks: { streamWrite: redactLine },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(settings.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

/** Lines are held until this many bytes are waiting (one write for several lines)… */
export const LOG_BUFFER_BYTES = 4096;
/** Most bytes of lines waiting for a stdout that does not drain; more are dropped. */
export const LOG_BUFFER_MAX_BYTES = 16 * 1024 * 1024;
/** …or until this long has passed, ms: the longest a line waits before it is written. */
export const LOG_FLUSH_INTERVAL_MS = 100;

/**
 * The process's logger, writing to stdout. JSON lines go out asynchronously (pino's sonic-boom
 * destination, `sync: false`), several per write: a request does not wait for its log line to
 * reach the pipe or file, and a busy process makes one write per {@link LOG_BUFFER_BYTES} instead
 * of one per line; a line waits at most {@link LOG_FLUSH_INTERVAL_MS}. Nothing is lost on the way
 * out: pino flushes the destination synchronously when the process exits (`process.exit`
 * included, which runMain and onShutdownSignal end with, and an uncaught exception); only a
 * SIGKILL can lose the lines still buffered. `pretty` goes through its transport (a worker thread).
 */
export function createLogger(settings: LoggerSettings): Logger {
  const options = pinoOptions(settings);
  if (settings.format === 'pretty') return pino(options);
  // maxLength: while stdout does not drain (a stalled log collector), at most this much waits in
  // memory; past it lines are dropped (sonic-boom's 'drop') rather than the process running out of memory.
  const destination = pino.destination({ dest: 1, sync: false, minLength: LOG_BUFFER_BYTES, maxLength: LOG_BUFFER_MAX_BYTES });
  const flusher = setInterval(() => {
    try {
      destination.flush();
    } catch {
      // Destroyed (stdout closed): nothing more will be written, and a logger must never crash the process.
      clearInterval(flusher);
    }
  }, LOG_FLUSH_INTERVAL_MS).unref();
  return pino(options, destination);
}

/**
 * Query parameters whose value is a credential, by name (any case, any prefix: `access_token`,
 * `api_key`, `X-Amz-Signature`, `X-Amz-Credential`, `sig`, `password`, …). Broad on purpose: a
 * harmless parameter blanked in a log line costs nothing; a leaked token costs a rotation.
 */
const SECRET_PARAM = /token|secret|sig|passw|pwd|credential|auth|session|key|code/i;

/**
 * Blanks the credentials in every URL in `text` (a URL, a request target such as
 * `/v1/uploads?token=…`, or a message quoting URLs): the userinfo (`user:password@`) and the values
 * of {@link SECRET_PARAM} query parameters become `***`; everything else is kept. The one redaction
 * rule for URLs: the logger applies it to every line (see pinoOptions), and error messages and CLI
 * output that name a connection string use it directly.
 */
export function redactUrl(text: string): string {
  // Both rules need one of these; most texts (log messages, paths without a query) have neither.
  if (text.indexOf('@') === -1 && text.indexOf('=') === -1) return text;
  return text
    .replace(/(\/\/)[^@/\s?#"'<>]*@/g, '$1***@')
    .replace(/([?&;])([^=&#\s"'<>]+)=([^&#\s"'<>]*)/g, (whole, separator: string, name: string) =>
      SECRET_PARAM.test(safeDecode(name)) ? `${separator}${name}=***` : whole,
    );
}

function safeDecode(name: string): string {
  try {
    return decodeURIComponent(name);
  } catch {
    return name;
  }
}

export type { Logger };
