import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
// request.cookies comes from @fastify/cookie, which admin-dashboard.ts registers.
import type {} from '@fastify/cookie';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemType } from '../problem.js';
import { sendProblem } from './problems.js';

/** Where the admin area lives; the session cookie is scoped to it. */
export const ADMIN_PATH = '/admin';
export const ADMIN_LOGIN_PATH = `${ADMIN_PATH}/login`;
export const ADMIN_DASHBOARD_PATH = `${ADMIN_PATH}/queues`;
export const ADMIN_SESSION_COOKIE = 'hoist_admin';

/**
 * True when `given` is the admin token. Both sides are hashed first so the comparison is constant
 * time whatever their lengths (timingSafeEqual alone needs equal lengths, and refusing early on a
 * length mismatch would tell an attacker the token's length).
 */
export function adminTokenMatches(given: string, token: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(token));
}

/** The token from `Authorization: Bearer <token>`, or undefined. */
export function bearerToken(request: FastifyRequest): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '')?.[1];
}

/**
 * Signed, expiring browser sessions. The cookie holds `<expiry seconds>.<HMAC of the expiry keyed
 * with ADMIN_TOKEN>`, never the token: a leaked cookie stops working at its expiry, cannot be turned
 * back into the token, and changing ADMIN_TOKEN ends every session at once. Nothing is stored on
 * the server, so signing out clears the browser's cookie but cannot revoke a copy of it.
 */
export class AdminSessions {
  constructor(
    private readonly token: string,
    /** How long a sign-in lasts, ms. */
    readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  create(): string {
    const expires = Math.floor((this.now() + this.ttlMs) / 1000);
    return `${expires}.${this.sign(expires)}`;
  }

  isValid(value: string | undefined): boolean {
    const match = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value ?? '');
    if (!match?.[1] || !match[2]) return false;
    const expires = Number(match[1]);
    if (expires * 1000 <= this.now()) return false;
    return timingSafeEqual(Buffer.from(match[2]), Buffer.from(this.sign(expires)));
  }

  private sign(expires: number): string {
    return createHmac('sha256', this.token).update(`hoist-admin-session:${expires}`).digest('base64url');
  }
}

/**
 * An onRequest hook for the dashboard: a valid session cookie or the bearer token lets the request
 * through. Otherwise a browser opening a page is sent to the login page, and anything else (the
 * dashboard's own API calls, curl, scripts) gets a 401 problem.
 */
export function requireAdmin(token: string, sessions: AdminSessions) {
  return async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    const bearer = bearerToken(request);
    if (bearer !== undefined ? adminTokenMatches(bearer, token) : sessions.isValid(request.cookies[ADMIN_SESSION_COOKIE])) return undefined;
    if (request.method === 'GET' && bearer === undefined && (request.headers.accept ?? '').includes('text/html')) {
      return reply.redirect(`${ADMIN_LOGIN_PATH}?next=${encodeURIComponent(request.url)}`, 303);
    }
    reply.header('www-authenticate', 'Bearer realm="hoist-admin"');
    // Sent here rather than thrown: bull-board installs its own error handler in its routes' context.
    return sendProblem(reply, {
      type: problemType('unauthorized'),
      title: 'Unauthorized',
      status: 401,
      detail: bearer === undefined ? `Send the admin token as "Authorization: Bearer <token>", or sign in at ${ADMIN_LOGIN_PATH}.` : 'The admin token is not correct.',
      instance: request.url,
    });
  };
}
