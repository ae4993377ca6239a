import { pino, stdSerializers, type Logger, type LoggerOptions } from 'pino';

/**
 * Paths that may carry credentials. pino replaces them before a line is written, so a secret that
 * slips into a log object never reaches the output.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
  'authorization',
  'cookie',
  'token',
  'body.token',
  '*.token',
  'password',
  'secret',
  'apiSecret',
  'api_secret',
  'signature',
  '*.password',
  '*.secret',
  '*.apiSecret',
  '*.api_secret',
  '*.signature',
  // Webhook signatures and endpoint secrets (a signature is as good as the secret for a replay).
  'headers["hoist-signature"]',
  'req.headers["hoist-signature"]',
  '*.headers["hoist-signature"]',
  '*.*.secret',
  'webhookSecret',
  '*.webhookSecret',
  'config.CLOUDINARY_URL',
  'config.DATABASE_URL',
  'config.REDIS_URL',
  'config.ADMIN_TOKEN',
  'config.METRICS_TOKEN',
];

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
    redact: { paths: [...REDACT_PATHS, ...URL_PATHS], censor },
    serializers: { err: stdSerializers.err, error: stdSerializers.err },
    // The message text too: a URL interpolated into it is redacted like one in a field.
    hooks: {
      logMethod(args, method) {
        method.apply(this, args.map((arg) => (typeof arg === 'string' ? redactUrl(arg) : arg)) as Parameters<typeof method>);
      },
    },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(settings.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

/**
 * Paths whose value is, or may hold, a URL: the request line (`req.url`, Fastify's own serializer,
 * where a client may put `?access_token=`), URL fields (URL uploads' source, webhook endpoints), and
 * error texts, which often quote the URL they failed on. {@link redactUrl} keeps what is not a
 * credential, so the line still says which request or host it was about.
 */
const URL_PATHS = ['req.url', 'url', '*.url', 'sourceUrl', '*.sourceUrl', 'err.message', 'err.stack', 'error.message', 'error.stack', '*.err.message'];
const URL_KEYS = new Set(['url', 'sourceUrl', 'message', 'stack']);

/** What replaces a redacted value: a URL with its credentials blanked, anything else entirely. */
function censor(value: unknown, path: string[]): unknown {
  if (URL_KEYS.has(path.at(-1) ?? '')) return typeof value === 'string' ? redactUrl(value) : value;
  return '[redacted]';
}

export function createLogger(settings: LoggerSettings): Logger {
  return pino(pinoOptions(settings));
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
