import type { FastifyRequest } from 'fastify';
import { ImageKitError } from './answers.js';

/**
 * ImageKit's server-side authentication: HTTP Basic with the private key as the user name; the
 * password is ignored (ImageKit's docs: "You do not need to provide a password"; the SDK sends a
 * dummy one). No key → 401; a key that is not the account's → 403, as the upload API reference
 * answers ("Your request does not contain private API key." / "Your account cannot be authenticated.").
 */
export function authenticate(request: FastifyRequest, privateKey: string): void {
  const header = request.headers.authorization;
  const match = header === undefined ? null : /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  const decoded = match?.[1] === undefined ? '' : Buffer.from(match[1], 'base64').toString('utf8');
  const user = decoded.includes(':') ? decoded.slice(0, decoded.indexOf(':')) : '';
  if (user === '') throw new ImageKitError(401, 'Your request does not contain private API key.');
  if (user !== privateKey) throw new ImageKitError(403, 'Your account cannot be authenticated.');
}
