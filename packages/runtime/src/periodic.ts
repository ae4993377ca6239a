import type { Logger } from '@hoist/core';

export interface PeriodicTask {
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs` (± `jitter` of it, so processes started together spread out),
 * never two runs at once. A failing run is logged and the schedule goes on.
 */
export function startPeriodic(options: {
  name: string;
  intervalMs: number;
  jitter?: number;
  logger: Logger;
  task: () => Promise<unknown>;
}): PeriodicTask {
  const jitter = options.jitter ?? 0.2;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const schedule = () => {
    if (stopped) return;
    const delay = options.intervalMs * (1 - jitter + 2 * jitter * Math.random());
    timer = setTimeout(() => {
      running = options
        .task()
        .then(
          () => undefined,
          (error: unknown) => options.logger.warn({ err: error, task: options.name }, `${options.name} failed; will try again`),
        )
        .finally(() => {
          running = undefined;
          schedule();
        });
    }, delay);
    timer.unref();
  };
  schedule();

  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
