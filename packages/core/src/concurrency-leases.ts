/**
 * Counted, expiring leases shared by every process: a semaphore whose holders may crash. A lease
 * that is neither renewed nor released lapses after its `ttlMs`, so a dead process's share comes
 * back by itself. Used to bound deliveries per webhook endpoint and open streams per tenant.
 */
export interface ConcurrencyLeases {
  /**
   * Takes a lease on `key` for `holder` unless `limit` live leases are held there already. Taking a
   * lease one already holds renews it (and always succeeds).
   * @returns whether the lease is held now.
   */
  acquire(key: string, holder: string, options: { limit: number; ttlMs: number }): Promise<boolean>;
  /** Extends `holder`'s lease to `ttlMs` from now; takes it again, past the limit, if it lapsed meanwhile. */
  renew(key: string, holder: string, ttlMs: number): Promise<void>;
  /** Gives the lease back. Idempotent. */
  release(key: string, holder: string): Promise<void>;
}
