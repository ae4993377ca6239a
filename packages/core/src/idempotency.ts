import { createHash } from 'node:crypto';

/**
 * What identifies the bytes of a request: their sha256 (a file), the URL they are fetched from, or,
 * for a tus creation (whose bytes come later), the length it declares.
 */
export type RequestContent = { sha256: string } | { url: string } | { declaredLength: number | 'deferred' };

/**
 * What makes two requests "the same" for an Idempotency-Key: every option field as sent, the
 * filename and the content. A replay of the same request gets its original upload; anything else
 * under a used key is refused.
 *
 * The canonical form is a stored format: fingerprints are kept with their keys (which never
 * expire), so it must not change, or every replay of a key stored before would be refused. It
 * names the content `sha256` for every kind — for a URL request that member holds the URL, as it
 * always has. A sha256 is 64 hex digits and an accepted URL starts with a scheme, so the kinds can
 * never produce the same fingerprint (a URL upload is http(s) only).
 */
export function requestFingerprint(request: { fields: ReadonlyMap<string, string>; filename: string; content: RequestContent }): string {
  // A tus creation's member is `tus:<length>`: neither 64 hex digits nor a URL with a scheme, so it
  // can never collide with the other kinds, whose fingerprints stay as they were.
  const content = 'sha256' in request.content ? request.content.sha256 : 'url' in request.content ? request.content.url : `tus:${request.content.declaredLength}`;
  const canonical = JSON.stringify({ fields: [...request.fields].sort(([a], [b]) => a.localeCompare(b)), filename: request.filename, sha256: content });
  return createHash('sha256').update(canonical).digest('hex');
}
