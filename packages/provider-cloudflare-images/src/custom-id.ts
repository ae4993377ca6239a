/**
 * Cloudflare's rules for a custom image id, which Hoist's public id becomes: up to 1,024 characters,
 * any number of `/`-separated subpaths, UTF-8, not starting or ending with `/`, and not a UUID (those
 * are the ids Cloudflare makes itself). Sources: "Upload via custom path" in Cloudflare's Images docs,
 * and the `id` field of the SDK's DirectUploadCreateParams ("Cannot start nor end with a / … Cannot
 * be a UUID"). Hoist adds one rule of its own: no empty, `.` or `..` segment, which a delivery URL
 * would not keep as written (and which the SDK refuses to put in a request path).
 */
export const CLOUDFLARE_MAX_CUSTOM_ID_LENGTH = 1024;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Why Cloudflare Images would refuse `id` as a custom id, or undefined when it is acceptable. One
 * rule for the adapter (which refuses before sending) and for whoever checks a public id at submit time.
 */
export function customIdProblem(id: string): string | undefined {
  if (id.length === 0) return 'a Cloudflare Images id cannot be empty';
  if (id.length > CLOUDFLARE_MAX_CUSTOM_ID_LENGTH) return `a Cloudflare Images id is at most ${CLOUDFLARE_MAX_CUSTOM_ID_LENGTH} characters (this one has ${id.length})`;
  if (id.startsWith('/') || id.endsWith('/')) return 'a Cloudflare Images id cannot start or end with "/"';
  if (UUID.test(id)) return 'a Cloudflare Images custom id cannot be a UUID';
  if (id.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) return 'a Cloudflare Images id cannot have an empty, "." or ".." path segment';
  if (!id.isWellFormed()) return 'a Cloudflare Images id must be valid UTF-8';
  return undefined;
}
