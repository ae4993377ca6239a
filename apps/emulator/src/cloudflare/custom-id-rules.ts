/**
 * Cloudflare's rules for a custom image id (Images docs, "Upload via custom path"; the SDK's
 * DirectUploadCreateParams.id): at most 1,024 characters, any number of subpaths, not starting or
 * ending with `/`, not a UUID. Returns why `id` is refused, or undefined.
 */
export function customIdRefusal(id: string): string | undefined {
  if (id.length === 0) return 'custom id must not be empty';
  if (id.length > 1024) return 'custom id must be at most 1024 characters';
  if (id.startsWith('/') || id.endsWith('/')) return 'custom id must not start or end with a /';
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return 'custom id must not be a UUID';
  return undefined;
}
