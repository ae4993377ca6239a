import { isFinalStatus } from '@hoist/client';
import { formatBytes } from './bytes.js';
import type { UploadInput } from './inputs.js';
import type { Output } from './terminal.js';
import { uploadSummary } from './upload-summary.js';
import type { UploadReporter } from './upload-reporter.js';

/** Files at least this large get progress lines (every 10 %); smaller ones only their start and end. */
const PROGRESS_LINES_FROM_BYTES = 1_000_000;

/** `hoist upload` without a terminal and without --json: one line per event, for logs and pipes, then the summary. */
export function plainReporter(out: Output, inputs: readonly UploadInput[]): UploadReporter {
  const label = (index: number) => inputs[index]?.label ?? String(index);
  const line = (index: number, text: string) => out.write(`${label(index)}: ${text}\n`);
  const shownTenth = new Map<number, number>();
  return {
    sending(index, input) {
      line(index, input.kind === 'file' ? `sending ${formatBytes(input.size)}` : 'asking the API to fetch it');
    },
    progress(index, sent, total) {
      if (!total || total < PROGRESS_LINES_FROM_BYTES) return;
      const tenth = Math.floor((sent / total) * 10);
      if (tenth <= (shownTenth.get(index) ?? 0) || tenth >= 10) return;
      shownTenth.set(index, tenth);
      line(index, `${tenth * 10}% (${formatBytes(sent)} of ${formatBytes(total)})`);
    },
    resumed(index, offset) {
      // Progress lines go on from where it resumed, not from 10 %.
      const input = inputs[index];
      if (input?.kind === 'file' && input.size > 0) shownTenth.set(index, Math.floor((offset / input.size) * 10));
      line(index, `resumed at ${formatBytes(offset)}`);
    },
    accepted(index, accepted) {
      line(index, `accepted as ${accepted.id} (${accepted.status}, ${accepted.transport}${accepted.deduplicated ? ', same bytes as an earlier upload' : ''}${accepted.replayed ? ', already accepted by an earlier run' : ''})`);
    },
    update(index, status) {
      // A final status is said by `finished`, with its URL or error.
      if (!isFinalStatus(status)) line(index, status);
    },
    finished(index, outcome) {
      if (outcome.ok && outcome.status === 'queued') return; // said by "accepted"
      const detail = outcome.error ? (outcome.error.code === outcome.status ? outcome.error.message : `${outcome.error.code}: ${outcome.error.message}`) : (outcome.url ?? '');
      line(index, `${outcome.status === 'not-sent' ? 'not sent' : outcome.status}${detail ? ` ${detail}` : ''}`);
    },
    end(outcomes, interrupted) {
      out.write(`\n${uploadSummary(outcomes, interrupted)}`);
    },
  };
}
