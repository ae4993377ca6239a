import { isUploadId, type Upload } from '@hoist/core';
import { UPLOAD_QUEUE, type JobDetails } from '@hoist/queue';
import { CommandFailed, json, UsageError, type CommandResult, type Flags } from './command.js';
import type { CliContext } from './context.js';
import { fields, when } from './table.js';

/**
 * `hoist uploads show <id>`: the upload as Postgres records it (the truth), its job as BullMQ knows
 * it, and the job's log (one line per attempt outcome, written by the worker).
 */
export async function uploadsShow(ctx: CliContext, args: string[], flags: Flags): Promise<CommandResult> {
  const [id, ...extra] = args;
  if (id === undefined || extra.length) throw new UsageError('uploads show takes one upload id');
  const upload = isUploadId(id) ? await (await ctx.uploads()).find(id) : undefined;
  const job = isUploadId(id) ? await (await ctx.queues()).job(UPLOAD_QUEUE, id) : undefined;
  if (!upload && !job) throw new CommandFailed(`no upload with id "${id}"`);
  if (flags.json) return json({ upload: upload ?? null, job: job ?? null });
  return { code: 0, stdout: [showRow(id, upload), showJob(job), showLog(job)].join('\n') };
}

function showRow(id: string, upload: Upload | undefined): string {
  if (!upload) return `Upload ${id}: no row in Postgres (the job below refers to an upload that does not exist)\n`;
  return fields(`Upload ${upload.id} (Postgres)`, [
    ['tenant', upload.tenantId],
    ['status', upload.status],
    ['attempts', upload.attempts],
    ['filename', upload.filename],
    ['bytes', upload.bytes],
    ['content type', upload.contentType],
    ['source url', upload.sourceUrl],
    ['public id', upload.publicId],
    ['created', when(upload.createdAt)],
    ['updated', when(upload.updatedAt)],
    ['enqueued', upload.enqueuedAt ? when(upload.enqueuedAt) : 'not yet (in the outbox)'],
    ['completed', when(upload.completedAt)],
    ['error', upload.error ? `${upload.error.code}: ${upload.error.message}` : undefined],
    ['result', upload.result?.secureUrl],
  ]);
}

function showJob(job: JobDetails | undefined): string {
  if (!job) return 'Job: none in the queue (removed after it finished, or lost with Redis; `hoist reconcile` re-enqueues unfinished uploads whose job is gone)\n';
  return fields(`Job ${job.jobId} (BullMQ queue "${job.queue}")`, [
    ['state', job.state],
    ['attempts', `${job.attemptsMade} of ${job.attempts}`],
    ['failed reason', job.failedReason],
    ['created', when(job.createdAt)],
    ['last started', when(job.processedAt)],
    ['finished', when(job.finishedAt)],
    ['delay', job.delayMs ? `${job.delayMs} ms` : undefined],
  ]);
}

function showLog(job: JobDetails | undefined): string {
  if (!job) return '';
  if (!job.logs.length) return 'Attempts log: empty (no attempt has finished yet)\n';
  return `Attempts log\n${job.logs.map((line) => `  ${line}\n`).join('')}`;
}
