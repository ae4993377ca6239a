/**
 * Runs work in one process at a time across the whole cluster. `run` resolves to `{ ran: false }`
 * at once when another process holds the lock; it never waits for it.
 */
export interface ExclusiveRunner {
  run<T>(name: string, work: () => Promise<T>): Promise<{ ran: true; result: T } | { ran: false }>;
}
