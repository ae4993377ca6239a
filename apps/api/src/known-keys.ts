import { LRUCache } from 'lru-cache';

/**
 * How long a key that was found is trusted without looking it up again, ms: the longest a revoked
 * key still works on an API process. The same bound as a cached upload view's staleness
 * (UPLOAD_VIEW_MAX_STALE_MS).
 */
export const KNOWN_KEY_TTL_MS = 1_000;
/** Most keys remembered at once. */
export const KNOWN_KEY_MAX_ENTRIES = 10_000;

export interface KnownKey {
  keyId: string;
  tenantId: string;
  /** The tenant's default provider, when it has one. */
  defaultProvider?: string | null | undefined;
}

/**
 * Hashes of API keys that matched an unrevoked key, per API process, for {@link KNOWN_KEY_TTL_MS}
 * from the lookup that found them: a client's requests cost one key lookup per second instead of
 * one each. Revocation (the CLI sets `revoked_at`) therefore takes effect on every API process
 * within that second. Requests that stay open (SSE, long-polls) re-check their key in Postgres
 * itself (`stillAuthorized`), never here. Least recently used keys go first when full.
 */
export class KnownKeys {
  private readonly keys: LRUCache<string, KnownKey>;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.keys = new LRUCache({ max: options.maxEntries ?? KNOWN_KEY_MAX_ENTRIES, ttl: options.ttlMs ?? KNOWN_KEY_TTL_MS });
  }

  get(hash: string): KnownKey | undefined {
    return this.keys.get(hash);
  }

  /** Remembers a key found by a lookup that started at `lookedUpAt` (performance.now()), so the bound counts from the lookup. */
  remember(hash: string, key: KnownKey, lookedUpAt: number): void {
    const ttl = (this.keys.ttl || KNOWN_KEY_TTL_MS) - (performance.now() - lookedUpAt);
    if (ttl > 0) this.keys.set(hash, key, { ttl });
  }
}
