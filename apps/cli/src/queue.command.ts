import { isUploadId } from '@hoist/core';
import { COUNTED_STATES, UPLOAD_QUEUE } from '@hoist/queue';
import { json, UsageError, type CommandResult, type Flags } from './command.js';
import type { CliContext } from './context.js';
import { formatDuration, parseDuration } from './duration.js';
import { oneLine, table, when } from './table.js';

/** `hoist queue counts`: job counts per state, and whether each queue is paused or rate limited. */
export async function queueCounts(ctx: CliContext, _args: string[], flags: Flags): Promise<CommandResult> {
  const overview = await (await ctx.queues()).overview();
  if (flags.json) return json(overview);
  const rows = overview.map((queue) => [
    queue.name,
    ...COUNTED_STATES.map((state) => String(queue.counts[state])),
    queue.paused ? 'yes' : 'no',
    queue.rateLimitedForMs > 0 ? `for ${formatDuration(queue.rateLimitedForMs)}` : 'no',
  ]);
  return { code: 0, stdout: table(['QUEUE', ...COUNTED_STATES.map((state) => state.toUpperCase()), 'PAUSED', 'RATE LIMITED'], rows) };
}

/** `hoist queue failed [--limit N]`: the newest failed jobs, with their upload's tenant and status from Postgres. */
export async function queueFailed(ctx: CliContext, _args: string[], flags: Flags): Promise<CommandResult> {
  const limit = positiveInteger('--limit', flags.limit ?? '20');
  const jobs = await (await ctx.queues()).failed({ limit });
  const uploads = await ctx.uploads();
  const listed = await Promise.all(
    jobs.map(async (job) => {
      const upload = job.uploadId && isUploadId(job.uploadId) ? await uploads.find(job.uploadId) : undefined;
      return { ...job, tenantId: upload?.tenantId ?? null, status: upload?.status ?? null, error: upload?.error ?? null };
    }),
  );
  if (flags.json) return json(listed);
  if (listed.length === 0) return { code: 0, stdout: 'No failed jobs.\n' };
  const rows = listed.map((job) => [
    job.uploadId ?? job.jobId,
    job.queue,
    job.tenantId ?? '',
    // The row may have moved on since (retried, or never recorded if Postgres was down at the time).
    job.status ?? 'no row',
    String(job.attemptsMade),
    when(job.finishedAt),
    oneLine(job.failedReason, 80),
  ]);
  return { code: 0, stdout: table(['UPLOAD', 'QUEUE', 'TENANT', 'STATUS', 'ATTEMPTS', 'FAILED AT', 'REASON'], rows) };
}

/** `hoist queue pause [queue]`: every worker on every host stops taking jobs; running ones finish. */
export async function queuePause(ctx: CliContext, args: string[], flags: Flags): Promise<CommandResult> {
  const name = queueName(args);
  await (await ctx.queues()).pause(name);
  if (flags.json) return json({ queue: name, paused: true });
  return { code: 0, stdout: `Paused queue "${name}": workers take no new jobs (running ones finish); new jobs wait. Resume with: pnpm hoist queue resume ${name}\n` };
}

/** `hoist queue resume [queue]`. */
export async function queueResume(ctx: CliContext, args: string[], flags: Flags): Promise<CommandResult> {
  const name = queueName(args);
  await (await ctx.queues()).resume(name);
  if (flags.json) return json({ queue: name, paused: false });
  return { code: 0, stdout: `Resumed queue "${name}".\n` };
}

/** `hoist queue clean [queue] --completed-older-than D [--failed-older-than D]`. */
export async function queueClean(ctx: CliContext, args: string[], flags: Flags): Promise<CommandResult> {
  const name = queueName(args);
  const completedMs = flags.completedOlderThan === undefined ? undefined : duration('--completed-older-than', flags.completedOlderThan);
  const failedMs = flags.failedOlderThan === undefined ? undefined : duration('--failed-older-than', flags.failedOlderThan);
  if (completedMs === undefined && failedMs === undefined) throw new UsageError('queue clean needs --completed-older-than <duration> and/or --failed-older-than <duration>');
  const admin = await ctx.queues();
  const completed = completedMs === undefined ? null : await admin.clean(name, 'completed', completedMs);
  const failed = failedMs === undefined ? null : await admin.clean(name, 'failed', failedMs);
  if (flags.json) return json({ queue: name, completed, failed });
  const parts = [
    completed === null ? undefined : `${completed} completed job(s) finished more than ${flags.completedOlderThan} ago`,
    failed === null ? undefined : `${failed} failed job(s) finished more than ${flags.failedOlderThan} ago`,
  ].filter(Boolean);
  return { code: 0, stdout: `Removed ${parts.join(' and ')} from queue "${name}".\n` };
}

/** The optional `[queue]` argument: a Hoist queue, the upload queue by default. */
function queueName(args: string[]): string {
  if (args.length > 1) throw new UsageError(`expected at most one queue name, got ${args.length}`);
  return args[0] ?? UPLOAD_QUEUE;
}

function duration(option: string, text: string): number {
  const ms = parseDuration(text);
  if (ms === undefined) throw new UsageError(`${option} takes a duration such as 30m, 1h or 7d (got "${text}")`);
  return ms;
}

export function positiveInteger(option: string, text: string): number {
  if (!/^\d{1,6}$/.test(text) || Number(text) < 1) throw new UsageError(`${option} takes a whole number from 1 to 999999 (got "${text}")`);
  return Number(text);
}
