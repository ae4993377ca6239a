/**
 * Waits for `work` at most `ms`. Shutdown uses it for closes that talk to a server which may be
 * gone (Redis during an outage): a close that never finishes must not keep a process from exiting.
 * @returns the result, or undefined when time ran out or `work` failed.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.catch(() => undefined), deadline]);
  } finally {
    clearTimeout(timer);
  }
}
