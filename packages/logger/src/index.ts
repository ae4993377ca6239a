export { createLogger, pinoOptions, redactUrl, REDACT_PATHS } from './logger.js';
export type { Logger, LoggerSettings } from './logger.js';
export { LOG_MESSAGES } from './messages.js';
