export { createLogger, LOG_BUFFER_BYTES, LOG_FLUSH_INTERVAL_MS, pinoOptions, redactLine, redactUrl, REDACTED_KEYS } from './logger.js';
export type { Logger, LoggerSettings } from './logger.js';
export { LOG_MESSAGES } from './messages.js';
