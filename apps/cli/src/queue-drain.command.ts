import { cancelQueuedUploads, isTenantId } from '@hoist/core';
import { json, UsageError, type CommandResult, type Flags } from './command.js';
import type { CliContext } from './context.js';

/**
 * `hoist queue drain --yes [--tenant T]`: cancels every queued upload (of one tenant, or of all).
 *
 * Removing waiting jobs alone would not stick: the reconciler re-enqueues queued uploads whose job
 * is missing. So drain goes through Postgres, as the API's cancel does: each upload's job is removed,
 * its row becomes `cancelled` (clients see it) and its bytes are deleted. Uploads already running
 * when the drain starts are left to finish (`hoist uploads show` them, or cancel them through the API).
 */
export async function queueDrain(ctx: CliContext, _args: string[], flags: Flags): Promise<CommandResult> {
  if (!flags.yes) {
    throw new UsageError('queue drain cancels every queued upload (clients see them as cancelled and their bytes are deleted); add --yes to do it');
  }
  if (flags.tenant !== undefined && !isTenantId(flags.tenant)) throw new UsageError(`--tenant "${flags.tenant}" is not a tenant id`);
  const deps = { uploads: await ctx.uploads(), queue: await ctx.jobQueue(), storage: await ctx.storage(), logger: ctx.logger };
  const report = await cancelQueuedUploads(deps, { before: new Date(), tenantId: flags.tenant });
  if (flags.json) return json(report);
  const scope = flags.tenant === undefined ? '' : ` of tenant "${flags.tenant}"`;
  const lines = [`Cancelled ${report.cancelled.length} queued upload(s)${scope}: jobs removed, rows cancelled, bytes deleted.`];
  if (report.finished.length) lines.push(`${report.finished.length} finished before their turn came: ${report.finished.join(', ')}.`);
  return { code: 0, stdout: `${lines.join('\n')}\n` };
}
