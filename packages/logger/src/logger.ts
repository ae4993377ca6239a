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
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: stdSerializers.err, error: stdSerializers.err },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...(settings.format === 'pretty'
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'HH:MM:ss.l', ignore: 'pid,hostname' } } }
      : {}),
  };
}

export function createLogger(settings: LoggerSettings): Logger {
  return pino(pinoOptions(settings));
}

/** Strips the user:password part of a connection string, for logs and error messages. */
export function redactUrl(value: string): string {
  return value.replace(/\/\/([^@/]*)@/, '//***@');
}

export type { Logger };
