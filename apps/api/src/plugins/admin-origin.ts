import type { FastifyReply, FastifyRequest } from 'fastify';
import { problemType } from '../problem.js';
import { sendProblem } from './problems.js';

/** Methods that change nothing, which any site may send. */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Why a request that could change something came from another origin, or undefined when it came
 * from the dashboard's own pages or from no browser at all. SameSite=Strict keeps the session cookie
 * from other *sites*, but a sibling subdomain (`evil.example.com` next to `hoist.example.com`) is the
 * same site: its form posts carry the cookie. So the browser's own account of where a request came
 * from decides, in order of reliability:
 *
 * 1. `Sec-Fetch-Site` (every current browser): `same-origin` or `none` (typed by the user) pass.
 * 2. Otherwise `Origin`: its host must be the request's `Host`; `null` (a sandboxed frame, a
 *    `data:` page) never is.
 * 3. Otherwise `Referer`, compared the same way.
 * 4. None of them: not a browser (curl, scripts with the bearer token), or one too old to send
 *    `Origin` on a POST; such a request cannot be forged by another site's page.
 *
 * Hosts are compared, not schemes (as Go's `http.CrossOriginProtection` does): behind a proxy that
 * ends TLS the API sees `http` while the browser says `https`. The proxy must pass `Host` through.
 */
export function crossOriginReason(request: FastifyRequest): string | undefined {
  if (SAFE_METHODS.has(request.method)) return undefined;
  const fetchSite = single(request.headers['sec-fetch-site']);
  if (fetchSite !== undefined) {
    return fetchSite === 'same-origin' || fetchSite === 'none' ? undefined : `Sec-Fetch-Site is ${JSON.stringify(fetchSite)}`;
  }
  const host = (request.headers.host ?? '').toLowerCase();
  const origin = single(request.headers.origin);
  if (origin !== undefined) return hostOf(origin) === host ? undefined : 'its Origin is another site';
  const referer = single(request.headers.referer);
  if (referer !== undefined) return hostOf(referer) === host ? undefined : 'its Referer is another site';
  return undefined;
}

/**
 * An onRequest hook for everything under /admin: a state-changing request from another origin
 * (see {@link crossOriginReason}) gets 403 problem+json before it reaches sign-in, sign-out or a
 * dashboard action.
 */
export async function refuseCrossOrigin(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const reason = crossOriginReason(request);
  if (reason === undefined) return undefined;
  request.log.warn({ method: request.method, reason }, 'cross-origin admin request refused');
  // Sent here rather than thrown: bull-board installs its own error handler in its routes' context.
  return sendProblem(reply, {
    type: problemType('cross-origin-request'),
    title: 'Cross-origin request refused',
    status: 403,
    detail: `The admin area acts only on requests from its own pages; this ${request.method} was refused because ${reason}.`,
    instance: request.url,
  });
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** `host[:port]` of a URL as the browser would send it in Host, or '' when it is not a URL. */
function hostOf(url: string): string {
  try {
    return new URL(url).host.toLowerCase();
  } catch {
    return '';
  }
}
