import { isUploadId, retryUpload, type RetryOutcome } from '@hoist/core';
import { UPLOAD_QUEUE } from '@hoist/queue';
import { EXIT, json, UsageError, type CommandResult, type Flags } from './command.js';
import type { CliContext } from './context.js';
import { table } from './table.js';

/**
 * `hoist queue retry <uploadId>` / `hoist queue retry --all`: sends failed uploads back to the queue
 * through the retryUpload use case, so Postgres (the source of truth) moves them back to `queued`;
 * a BullMQ-only retry would run a job whose row is final, which does nothing.
 * `--all` retries every upload whose job is in the upload queue's failed list (`hoist queue failed`).
 */
export async function queueRetry(ctx: CliContext, args: string[], flags: Flags): Promise<CommandResult> {
  const [id, ...extra] = args;
  if (flags.all === (id !== undefined) || extra.length) throw new UsageError('queue retry takes one upload id, or --all');
  const deps = { uploads: await ctx.uploads(), queue: await ctx.jobQueue(), storage: await ctx.storage(), logger: ctx.logger };
  const ids = id === undefined ? await (await ctx.queues()).failedJobIds(UPLOAD_QUEUE) : [id];
  const results: Array<{ id: string; outcome: RetryOutcome['kind']; status: string | null }> = [];
  for (const uploadId of ids) {
    const outcome: RetryOutcome = isUploadId(uploadId) ? await retryUpload(deps, uploadId) : { kind: 'not_found' };
    results.push({ id: uploadId, outcome: outcome.kind, status: outcome.kind === 'not_found' ? null : outcome.upload.status });
  }

  if (id !== undefined) {
    const [result] = results;
    const code = result?.outcome === 'queued' ? EXIT.ok : EXIT.failed;
    if (flags.json) return json(result, code);
    return code === EXIT.ok ? { code, stdout: `Upload ${id} is queued again.\n` } : { code, stdout: '', stderr: `hoist: ${explain(id, result)}\n` };
  }
  if (flags.json) return json(results);
  const retried = results.filter((result) => result.outcome === 'queued').length;
  const summary = `Retried ${retried} of ${results.length} failed upload(s).\n`;
  const refused = results.filter((result) => result.outcome !== 'queued');
  if (!refused.length) return { code: EXIT.ok, stdout: summary };
  return { code: EXIT.ok, stdout: `${summary}Not retried:\n${table(['UPLOAD', 'WHY'], refused.map((result) => [result.id, explain(result.id, result)]))}` };
}

function explain(id: string, result: { outcome: RetryOutcome['kind']; status: string | null } | undefined): string {
  switch (result?.outcome) {
    case undefined:
    case 'not_found':
      return `no upload with id "${id}"`;
    case 'not_failed':
      return `upload ${id} is ${result.status ?? 'unknown'}; only failed uploads can be retried`;
    case 'bytes_gone':
      return `upload ${id} cannot be retried: its temporary bytes are gone; the file must be uploaded again`;
    case 'settling':
      return `upload ${id} has only just failed and its job is still being wound up; try again in a moment`;
    case 'queued':
      return `upload ${id} is queued again`;
  }
}
