import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import type { IServerAdapter } from '@bull-board/api/typings/app';
import { FastifyAdapter } from '@bull-board/fastify';
import cookie from '@fastify/cookie';
import formbody from '@fastify/formbody';
import type { Queue } from '@hoist/queue';
import type { FastifyInstance } from 'fastify';
import { ADMIN_DASHBOARD_PATH, ADMIN_PATH, AdminSessions, requireAdmin } from './admin-auth.js';
import { adminLoginRoutes } from './admin-login.js';
import { refuseCrossOrigin } from './admin-origin.js';

export interface AdminDashboardOptions {
  /** ADMIN_TOKEN: the one admin credential, separate from tenant API keys. */
  token: string;
  /** The queues to show (see openQueues); the caller opens and closes them. */
  queues: readonly Queue[];
  /** Show the queues but refuse every action (retry, clean, pause, add…); default false. */
  readOnly?: boolean;
  /** How long a browser sign-in lasts, ms; default 12 hours. */
  sessionTtlMs?: number;
}

/**
 * The operations dashboard (bull-board) at /admin/queues, with /admin/login and /admin/logout.
 * Everything under /admin/queues wants the admin token or a session from the login page. Register
 * it only when ADMIN_TOKEN is set: without it nothing answers under /admin (404).
 */
export async function adminDashboardPlugin(app: FastifyInstance, options: AdminDashboardOptions): Promise<void> {
  const sessions = new AdminSessions(options.token, options.sessionTtlMs ?? 12 * 60 * 60_000);
  await app.register(
    async (admin) => {
      await admin.register(cookie);
      await admin.register(formbody);
      // The dashboard has buttons that act on queues; no other site may frame it (clickjacking).
      admin.addHook('onRequest', async (_request, reply) => {
        reply.header('x-frame-options', 'DENY');
      });
      // Sign-in, sign-out and every dashboard action: only from the dashboard's own pages.
      admin.addHook('onRequest', refuseCrossOrigin);
      adminLoginRoutes(admin, options.token, sessions);

      await admin.register(async (board) => {
        board.addHook('onRequest', requireAdmin(options.token, sessions));
        const serverAdapter = new FastifyAdapter().setBasePath(ADMIN_DASHBOARD_PATH);
        createBullBoard({
          queues: options.queues.map((queue) => new BullMQAdapter(queue, { readOnlyMode: options.readOnly ?? false })),
          // @bull-board/fastify 9.10.1 brings its own @bull-board/api 9.10.1, whose types clash with
          // ours (9.10.2) only by name: the adapter uses nothing of it at run time. Pinning both
          // packages to one version would make this cast unnecessary.
          serverAdapter: serverAdapter as unknown as IServerAdapter,
          options: {
            uiConfig: {
              boardTitle: options.readOnly ? 'Hoist queues (read-only)' : 'Hoist queues',
              miscLinks: [{ text: 'Sign out', url: `${ADMIN_PATH}/logout` }],
              hideDocsLink: true,
            },
          },
        });
        await board.register(serverAdapter.registerPlugin(), { prefix: ADMIN_DASHBOARD_PATH.slice(ADMIN_PATH.length) });
      });
    },
    { prefix: ADMIN_PATH },
  );
}
