import { createHash, randomBytes } from 'node:crypto';

/** Tenant ids: lowercase slugs, as the database's `tenant_id_check` constraint allows. */
const TENANT_ID = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/** The tenant every upload belongs to when authentication is off. */
export const DEFAULT_TENANT = 'default';

export function isTenantId(value: string): boolean {
  return TENANT_ID.test(value);
}

/** An API key as stored: never the key itself. */
export interface ApiKeyRecord {
  id: string;
  tenantId: string;
  /** The key's first characters, to tell keys apart in listings. */
  prefix: string;
  name: string | null;
  createdAt: Date;
  revokedAt: Date | null;
}

/** A newly generated key: `key` is shown to its owner once and never stored. */
export interface GeneratedApiKey {
  key: string;
  hash: string;
  prefix: string;
}

const KEY_PREFIX = 'hoist_sk_';
/** What generateApiKey makes: the prefix and 32 bytes in base64url (43 characters, no padding). */
const KEY_FORMAT = /^hoist_sk_[A-Za-z0-9_-]{43}$/;

/** A new API key: 256 random bits, recognisable by its `hoist_sk_` prefix (secret scanners key on such prefixes). */
export function generateApiKey(): GeneratedApiKey {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  return { key, hash: hashApiKey(key), prefix: key.slice(0, KEY_PREFIX.length + 6) };
}

/**
 * True for a string that could be a key {@link generateApiKey} made. Anything else can never match
 * a stored key, so it is refused without a lookup.
 */
export function isWellFormedApiKey(value: string): boolean {
  return KEY_FORMAT.test(value);
}

/**
 * The stored form of a key. SHA-256 without salt is right here: the keys are random 256-bit
 * secrets (nothing to brute-force), and an unsalted hash lets one index probe find the key.
 */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** API keys and the tenants they belong to. */
export interface ApiKeyRepository {
  /** Stores a key for `tenantId`, creating the tenant if it is new. */
  create(input: { tenantId: string; hash: string; prefix: string; name?: string | undefined }): Promise<ApiKeyRecord>;
  /** Keys, newest first; of one tenant if given. Revoked keys included. */
  list(options?: { tenantId?: string | undefined }): Promise<ApiKeyRecord[]>;
  /** Revokes the key with this id or prefix. @returns how many keys were revoked (0 if none matched or already revoked). */
  revoke(idOrPrefix: string): Promise<number>;
  /** The tenant of an unrevoked key with this hash, if any, and the tenant's default provider (null: the deployment's). */
  authenticate(hash: string): Promise<{ keyId: string; tenantId: string; defaultProvider?: string | null | undefined } | undefined>;
  /**
   * Sets the provider the tenant's uploads go to when they name none (null: the deployment's).
   * @returns false when there is no such tenant.
   */
  setDefaultProvider(tenantId: string, provider: string | null): Promise<boolean>;
}
