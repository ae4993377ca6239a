import { reconcileExclusively } from '@hoist/core';
import { AdvisoryLockRunner } from '@hoist/db';
import { CommandFailed, json, type CommandResult, type Flags } from './command.js';
import type { CliContext } from './context.js';

/**
 * `hoist reconcile`: one reconciler run now, with the workers' settings (RECONCILE_STALE_AFTER_MS,
 * TEMP_ORPHAN_AGE_MS, FAILED_UPLOAD_RETENTION_MS), under the same cluster-wide lock as theirs.
 */
export async function reconcileCommand(ctx: CliContext, _args: string[], flags: Flags): Promise<CommandResult> {
  const { config } = ctx;
  const outcome = await reconcileExclusively(
    { uploads: await ctx.uploads(), queue: await ctx.jobQueue(), storage: await ctx.storage(), logger: ctx.logger, exclusive: new AdvisoryLockRunner(await ctx.database()) },
    { staleAfterMs: config.RECONCILE_STALE_AFTER_MS, orphanAgeMs: config.TEMP_ORPHAN_AGE_MS, failedRetentionMs: config.FAILED_UPLOAD_RETENTION_MS },
  );
  if (!outcome.ran) {
    if (flags.json) return json({ ran: false }, 1);
    throw new CommandFailed('another process (a worker) is running the reconciler right now; nothing was done, try again in a few seconds');
  }
  const report = outcome.result;
  if (flags.json) return json({ ran: true, ...report });
  return {
    code: 0,
    stdout:
      `Reconciled: ${report.enqueued} outbox upload(s) enqueued, ${report.requeued} re-enqueued (their job was gone), ` +
      `${report.failed} failed (bytes gone or job given up), ${report.orphansRemoved} orphaned temp file(s) removed.\n`,
  };
}
