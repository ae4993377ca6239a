import type { Logger } from '@hoist/core';

export interface PeriodicTask {
  /** Stops scheduling and waits for a run in progress to finish. */
  stop(): Promise<void>;
}

/**
 * Runs `task` every `intervalMs` (± `jitter` of it, so processes started together spread out),
 * never two runs at once. The first run comes after `firstRunAfterMs` (jittered alike) when given,
 * else one interval after the start. A failing run is logged and the schedule goes on.
 */
export function startPeriodic(options: {
  name: string;
  intervalMs: number;
  /** Delay of the first run, ms; default `intervalMs`. */
  firstRunAfterMs?: number;
  /** Share of each delay drawn at random either way; default 0.2. */
  jitter?: number;
  logger: Logger;
  task: () => Promise<unknown>;
}): PeriodicTask {
  const jitter = options.jitter ?? 0.2;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let first = true;

  const schedule = () => {
    if (stopped) return;
    const base = first ? (options.firstRunAfterMs ?? options.intervalMs) : options.intervalMs;
    first = false;
    const delay = base * (1 - jitter + 2 * jitter * Math.random());
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
