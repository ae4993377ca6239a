import type { SourceFetcher } from './source-fetcher.js';
import type { UploadRepository } from './upload.repository.js';

/**
 * Every fetch slot of this worker process is taken. Not a failure: the job goes back to the queue
 * for a moment without spending an attempt, and frees the worker slot it would otherwise hold.
 */
export class FetchSlotsBusyError extends Error {
  readonly code = 'fetch_slots_busy';
  constructor(slots: number) {
    super(`All ${slots} URL fetch slots of this worker are busy.`);
    this.name = 'FetchSlotsBusyError';
  }
}

/**
 * Caps the URL fetches one worker process runs at once (`URL_FETCH_CONCURRENCY`), so slow sources
 * can never occupy the worker slots that provider uploads need: a fetch beyond the cap fails at once
 * with {@link FetchSlotsBusyError} instead of waiting for a slot while holding a job.
 *
 * Why slots in the worker rather than a queue of its own for fetches: a `fetches` queue would need
 * a second job per URL upload, a hand-over between the queues, and the reconciler to know which
 * queue an unfinished upload's job lives in; a slot limit keeps one job per upload and changes
 * nothing about claiming, recovery or reconciling. The price is that a URL upload waiting for a
 * slot is claimed, put back and delayed (about once a second) until one is free.
 */
export function limitFetches(fetcher: SourceFetcher, slots: number): SourceFetcher {
  if (!Number.isSafeInteger(slots) || slots < 1) throw new RangeError(`slots must be a positive integer, got ${slots}.`);
  let running = 0;
  return {
    async fetch(url, options) {
      if (running >= slots) throw new FetchSlotsBusyError(slots);
      running += 1;
      try {
        return await fetcher.fetch(url, options);
      } finally {
        running -= 1;
      }
    },
  };
}

/**
 * Aborts `signal` once the upload is no longer `processing` (cancelled, deleted, or finished by
 * another run), checking the row every `intervalMs`. A fetch has no chunk boundaries at which to
 * notice a cancellation, so it is watched instead; a read that fails (Postgres down) is ignored and
 * tried again on the next tick. Call `stop()` when the watched work ends.
 */
export function watchWithdrawal(uploads: Pick<UploadRepository, 'find'>, uploadId: string, intervalMs: number): { signal: AbortSignal; stop: () => void } {
  const controller = new AbortController();
  let checking = false;
  const timer = setInterval(() => {
    if (checking) return;
    checking = true;
    uploads
      .find(uploadId)
      .then((current) => {
        if (current?.status !== 'processing') controller.abort();
      })
      .catch(() => undefined)
      .finally(() => {
        checking = false;
      });
  }, intervalMs);
  return {
    signal: controller.signal,
    stop: () => clearInterval(timer),
  };
}
