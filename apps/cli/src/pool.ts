/**
 * Runs `work` on every item, at most `concurrency` at a time, in order of the items; resolves when all
 * have settled. Once `signal` is aborted no new item starts (those already running see the signal themselves).
 * `work` must not throw: each item's outcome is its own business.
 */
export async function runPool<T>(items: readonly T[], concurrency: number, work: (item: T, index: number) => Promise<void>, signal?: AbortSignal): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length && !signal?.aborted) {
      const index = next++;
      await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, items.length)) }, lane));
}
