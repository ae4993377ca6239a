import { DelayedError, type Job } from 'bullmq';

/** Largest wait of a job deferred again and again, ms: a freed slot is found within this long. */
const MAX_DEFER_MS = 15_000;

/** `ms` spread over [0.5, 1.5)×, so jobs deferred together don't all come back together. */
export function jittered(ms: number, random: () => number = Math.random): number {
  return Math.round(ms * (0.5 + random()));
}

/**
 * How long a job waits before its `deferrals + 1`-th try: `baseMs` doubled per earlier deferral,
 * capped at 15 s, jittered. Work waiting for a busy slot (a fetch slot, a busy webhook endpoint)
 * then costs a few wake-ups per job while it waits, not one every `baseMs` however big the backlog.
 */
export function deferDelay(deferrals: number, baseMs: number, random: () => number = Math.random): number {
  return jittered(Math.min(MAX_DEFER_MS, baseMs * 2 ** Math.min(deferrals, 20)), random);
}

/**
 * Puts a running job back in the queue, delayed, without spending an attempt, and counts the
 * deferral in its data (`deferrals`) so the next wait is longer. Throws BullMQ's DelayedError,
 * which the processor must let through.
 */
export async function deferJob(job: Job<{ deferrals?: number }>, token: string | undefined, baseMs: number): Promise<never> {
  const deferrals = job.data.deferrals ?? 0;
  await job.updateData({ ...job.data, deferrals: deferrals + 1 });
  await job.moveToDelayed(Date.now() + deferDelay(deferrals, baseMs), token);
  throw new DelayedError();
}
