import { DEFAULT_TENANT, hashApiKey, isWellFormedApiKey, type ApiKeyRepository } from '@hoist/core';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { HttpProblem } from '../problem.js';
import { KnownKeys } from '../known-keys.js';
import { UnknownKeys } from '../unknown-keys.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The tenant the request acts for: from its API key, or `default` when AUTH=off. */
    tenantId: string;
    /** The tenant's default provider (`hoist tenants provider`), if it has one; never with AUTH=off. */
    tenantProvider: string | undefined;
    /**
     * Looks the request's API key up again: false once it has been revoked. For requests that stay
     * open (SSE, long-polls), which must not outlive their key. Always true with AUTH=off.
     */
    stillAuthorized: () => Promise<boolean>;
  }
}

export interface AuthOptions {
  /** `off` is for local development only: every request acts for the `default` tenant. */
  mode: 'on' | 'off';
  apiKeys: ApiKeyRepository;
}

const alwaysAuthorized = (): Promise<boolean> => Promise.resolve(true);

/** A 401 problem with the header every 401 of the API carries. */
export function unauthorized(reply: FastifyReply, detail: string): HttpProblem {
  reply.header('www-authenticate', 'Bearer realm="hoist"');
  return new HttpProblem(401, 'unauthorized', 'Unauthorized', detail);
}

/**
 * Bearer API keys. Register it inside the routes it protects (the /v1 plugin): health checks and
 * unknown routes stay outside. The key is hashed and looked up; it is never logged (pino redacts
 * the Authorization header, and nothing else copies it). A string that is not a well-formed key is
 * refused without a lookup, and a well-formed one that matched nothing is not looked up again for
 * 30 s (see {@link UnknownKeys}); one that matched a key is trusted for a second (see {@link KnownKeys}).
 */
export const authPlugin = fp<AuthOptions>(
  (app: FastifyInstance, options: AuthOptions) => {
    const unknownKeys = new UnknownKeys();
    const knownKeys = new KnownKeys();
    app.decorateRequest('tenantId', '');
    app.decorateRequest('tenantProvider', undefined);
    app.decorateRequest('stillAuthorized', alwaysAuthorized);
    app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
      if (options.mode === 'off') {
        request.tenantId = DEFAULT_TENANT;
        return;
      }
      const header = request.headers.authorization;
      const match = header ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
      if (!match?.[1]) throw unauthorized(reply, 'Send your API key as "Authorization: Bearer <key>".');
      // Unauthenticated requests are not rate limited (the limit is per tenant), so a bad key must
      // cost no database query: one that cannot be a key is refused outright, and one that matched
      // nothing is remembered for a while.
      if (!isWellFormedApiKey(match[1])) throw unauthorized(reply, 'The API key is invalid or has been revoked.');
      const hash = hashApiKey(match[1]);
      let found = knownKeys.get(hash);
      if (!found) {
        if (unknownKeys.has(hash)) throw unauthorized(reply, 'The API key is invalid or has been revoked.');
        const lookedUpAt = performance.now();
        found = await options.apiKeys.authenticate(hash);
        if (!found) {
          unknownKeys.remember(hash);
          throw unauthorized(reply, 'The API key is invalid or has been revoked.');
        }
        knownKeys.remember(hash, found, lookedUpAt);
      }
      const { keyId } = found;
      request.tenantId = found.tenantId;
      request.tenantProvider = found.defaultProvider ?? undefined;
      request.stillAuthorized = async () => (await options.apiKeys.authenticate(hash))?.keyId === keyId;
    });
  },
  { name: 'hoist-auth' },
);
