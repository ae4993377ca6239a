import { within } from '@hoist/runtime';
import type { Worker } from 'bullmq';

/**
 * Stops a BullMQ worker taking jobs and waits up to `timeoutMs` for the running ones. After that
 * they are released: their locks expire and another worker picks them up (stalled-job recovery).
 * A forced close still waits for the running processors, and for Redis; neither may keep a
 * shutting-down process alive, so that wait is bounded too.
 */
export async function closeWorker(worker: Worker, timeoutMs: number): Promise<{ forced: boolean }> {
  let timer: NodeJS.Timeout | undefined;
  const graceful = worker.close().then(() => false);
  const deadline = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(true), timeoutMs);
  });
  const forced = await Promise.race([graceful, deadline]);
  clearTimeout(timer);
  if (forced) await within(worker.close(true), 2_000);
  return { forced };
}
