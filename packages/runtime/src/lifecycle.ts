import type { Logger } from '@hoist/core';

/** pino's fatal level is not in core's Logger slice; processes pass their pino logger. */
type ProcessLogger = Logger & { fatal(obj: object, msg?: string): void };

/** runMain's start-up signal handlers, removed when onShutdownSignal installs the real ones. */
const startupHandlers = new Map<NodeJS.Signals, () => void>();

/**
 * Runs a process's `main`. If start-up fails, logs why (once, at fatal) and exits 1 — after a short
 * pause so an asynchronous log transport (pino-pretty) gets the line out.
 */

export function runMain(name: string, logger: ProcessLogger, main: () => Promise<void>): void {
  // Until onShutdownSignal takes over, a signal during start-up exits at once, as it would by
  // default, but through process.exit: the log lines still buffered (they explain how far start-up
  // got) are flushed on the way out.
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const) {
    const exit = () => process.exit(code);
    startupHandlers.set(signal, exit);
    process.once(signal, exit);
  }
  main().catch((error: unknown) => {
    logger.fatal({ err: error }, `${name} failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    setTimeout(() => process.exit(1), 200).unref();
  });
}

/**
 * On the first SIGTERM or SIGINT, runs `close` (stop taking work, finish or release in-flight work,
 * close connections), then exits: 0, or 1 if closing failed. It exits explicitly (after a moment for
 * the last log lines) because a connection to a server that is down can keep the event loop alive
 * forever. A second signal is ignored: the first shutdown is already under way and has its own deadline.
 */
export function onShutdownSignal(logger: Logger, close: (signal: NodeJS.Signals) => Promise<void>): void {
  for (const [signal, exit] of startupHandlers) process.off(signal, exit);
  startupHandlers.clear();
  let closing = false;
  const handle = (signal: NodeJS.Signals) => {
    if (closing) return;
    closing = true;
    close(signal)
      .then(
        () => logger.info({ signal }, 'stopped'),
        (error: unknown) => {
          logger.error({ err: error }, 'error while shutting down');
          process.exitCode = 1;
        },
      )
      .finally(() => setTimeout(() => process.exit(), 200).unref());
  };
  process.on('SIGTERM', handle);
  process.on('SIGINT', handle);
}
