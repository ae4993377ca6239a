import { FINAL_STATUSES, type Upload } from '@hoist/core';

/** Waiters re-read Postgres at least this often, ms. */
const RECHECK_MS = 3_000;

/** Resolves when the upload's status may have changed, or after `timeoutMs`, or when `signal` aborts. */
export type WaitForChange = (uploadId: string, timeoutMs: number, signal: AbortSignal) => Promise<unknown>;

/** Without an announcement bus, waiting is re-reading on a short timer. */
export const pollingWait: WaitForChange = (_uploadId, timeoutMs, signal) =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, Math.min(timeoutMs, 500));
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(undefined);
    }, { once: true });
  });

/**
 * The upload once it is final, or as it is at `deadline` or when `signal` aborts. Listens before
 * re-reading, so a change between the read and the wait is not missed; and re-reads at least every
 * few seconds, so a lost announcement costs a delay, not the answer.
 */
export async function waitUntilFinal(
  upload: Upload,
  find: () => Promise<Upload | undefined>,
  waitForChange: WaitForChange,
  options: { deadline: number; signal: AbortSignal },
): Promise<Upload> {
  let current = upload;
  const { deadline, signal } = options;
  while (!FINAL_STATUSES.includes(current.status) && Date.now() < deadline && !signal.aborted) {
    const changed = waitForChange(current.id, Math.min(deadline - Date.now(), RECHECK_MS), signal);
    current = (await find()) ?? current;
    if (FINAL_STATUSES.includes(current.status)) break;
    await changed;
    current = (await find()) ?? current;
  }
  return current;
}
