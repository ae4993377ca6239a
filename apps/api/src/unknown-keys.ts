import { LRUCache } from 'lru-cache';

/** How long a key hash that matched no key is remembered, ms. */
export const UNKNOWN_KEY_TTL_MS = 30_000;
/** Most key hashes remembered at once (64 bytes of hex each: about 1 MiB with the cache's overhead). */
export const UNKNOWN_KEY_MAX_ENTRIES = 10_000;

/**
 * Hashes of well-formed API keys that matched no unrevoked key, remembered for
 * {@link UNKNOWN_KEY_TTL_MS} per API process, so a client repeating a bad key (a flood, or a
 * misconfigured client in a retry loop) costs one database lookup per 30 s instead of one per
 * request. Only misses are cached here; found keys are trusted for a second (KnownKeys), so a
 * revocation takes effect within that second. A key created after its hash was remembered as unknown would be refused for up to 30 s;
 * keys are 256 random bits, so no one looks a key up before it exists. Least recently used hashes
 * go first when full, so a flood of distinct keys costs memory bounded by
 * {@link UNKNOWN_KEY_MAX_ENTRIES} (each of those still costs one lookup).
 */
export class UnknownKeys {
  private readonly hashes: LRUCache<string, true>;

  constructor(options: { ttlMs?: number; maxEntries?: number } = {}) {
    this.hashes = new LRUCache({ max: options.maxEntries ?? UNKNOWN_KEY_MAX_ENTRIES, ttl: options.ttlMs ?? UNKNOWN_KEY_TTL_MS });
  }

  /** True while `hash` is remembered as matching no key. */
  has(hash: string): boolean {
    return this.hashes.has(hash);
  }

  remember(hash: string): void {
    this.hashes.set(hash, true);
  }
}
