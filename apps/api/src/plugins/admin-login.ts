import type { FastifyInstance, FastifyReply } from 'fastify';
import { ADMIN_DASHBOARD_PATH, ADMIN_LOGIN_PATH, ADMIN_PATH, ADMIN_SESSION_COOKIE, adminTokenMatches, type AdminSessions } from './admin-auth.js';

const COOKIE_OPTIONS = { path: ADMIN_PATH, httpOnly: true, secure: true, sameSite: 'strict' } as const;

/**
 * Only a dashboard page may be the target after signing in, never another site (open redirect):
 * a path under /admin/queues in printable ASCII (request URLs arrive percent-encoded), no backslash.
 */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/admin\/queues(?:[/?#]|$)/.test(next) && /^[ -[\]-~]*$/.test(next) ? next : ADMIN_DASHBOARD_PATH;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

interface PageContent {
  title: string;
  /** Trusted HTML (every interpolated value already escaped). */
  body: string;
  error?: string;
}

function sendPage(reply: FastifyReply, status: number, page: PageContent): FastifyReply {
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(page.title)} · Hoist admin</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; background: #f4f5f7; color: #1f2328; display: grid; place-items: center; min-height: 100vh; margin: 0; }
  main { background: #fff; padding: 2rem 2.5rem; border-radius: 8px; box-shadow: 0 1px 4px rgb(0 0 0 / 0.12); width: min(24rem, 90vw); }
  h1 { font-size: 1.3rem; margin: 0 0 1rem; }
  label { display: block; margin-bottom: 0.3rem; }
  input[type=password] { width: 100%; box-sizing: border-box; padding: 0.5rem; font: inherit; margin-bottom: 1rem; }
  button { font: inherit; padding: 0.5rem 1.2rem; cursor: pointer; }
  .error { background: #ffebe9; border: 1px solid #ff8182; padding: 0.5rem 0.75rem; border-radius: 6px; margin-bottom: 1rem; }
</style>
</head>
<body>
<main>
<h1>${escapeHtml(page.title)}</h1>
${page.error ? `<p class="error" role="alert">${escapeHtml(page.error)}</p>\n` : ''}${page.body}
</main>
</body>
</html>
`;
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
    .send(html);
}

function loginForm(next: string): string {
  return `<form method="post" action="${ADMIN_LOGIN_PATH}">
<input type="hidden" name="next" value="${escapeHtml(next)}">
<label for="token">Admin token (ADMIN_TOKEN)</label>
<input type="password" id="token" name="token" autocomplete="current-password" required autofocus>
<button type="submit">Sign in</button>
</form>`;
}

const signOutForm = `<form method="post" action="${ADMIN_PATH}/logout"><button type="submit">Sign out</button></form>`;

/**
 * The browser side of admin access: a login form that trades ADMIN_TOKEN for a session cookie
 * (HttpOnly, Secure, SameSite=Strict, scoped to /admin), and signing out. Register under /admin
 * with @fastify/cookie and @fastify/formbody.
 */
export function adminLoginRoutes(app: FastifyInstance, token: string, sessions: AdminSessions): void {
  const hide = { schema: { hide: true } };

  app.get<{ Querystring: { next?: string } }>('/login', hide, (request, reply) => {
    if (sessions.isValid(request.cookies[ADMIN_SESSION_COOKIE])) {
      return sendPage(reply, 200, {
        title: 'Signed in',
        body: `<p>You are signed in to the Hoist admin.</p><p><a href="${ADMIN_DASHBOARD_PATH}">Open the queue dashboard</a></p>${signOutForm}`,
      });
    }
    return sendPage(reply, 200, { title: 'Sign in', body: loginForm(safeNext(request.query.next)) });
  });

  app.post('/login', hide, (request, reply) => {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const next = safeNext(body.next);
    const given = typeof body.token === 'string' ? body.token : '';
    if (!given) return sendPage(reply, 400, { title: 'Sign in', error: 'Enter the admin token.', body: loginForm(next) });
    if (!adminTokenMatches(given, token)) {
      request.log.warn('admin sign-in refused: wrong token');
      return sendPage(reply, 401, { title: 'Sign in', error: 'That is not the admin token.', body: loginForm(next) });
    }
    request.log.info('admin signed in');
    reply.setCookie(ADMIN_SESSION_COOKIE, sessions.create(), { ...COOKIE_OPTIONS, maxAge: Math.floor(sessions.ttlMs / 1000) });
    return reply.redirect(next, 303);
  });

  // A page with a button, so a link (the dashboard's "Sign out" menu entry) never signs anyone out by itself.
  app.get('/logout', hide, (_request, reply) => sendPage(reply, 200, { title: 'Sign out', body: `<p>Sign out of the Hoist admin?</p>${signOutForm}` }));

  app.post('/logout', hide, (request, reply) => {
    request.log.info('admin signed out');
    reply.clearCookie(ADMIN_SESSION_COOKIE, COOKIE_OPTIONS);
    return reply.redirect(ADMIN_LOGIN_PATH, 303);
  });
}
