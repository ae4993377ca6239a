import type { Logger } from '../logger.js';

/** A Logger that writes nothing, for tests of the use cases. */
export const SILENT_LOGGER: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => SILENT_LOGGER,
};
