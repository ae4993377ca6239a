import { oneLine, table } from './table.js';
import type { FileOutcome } from './upload-outcome.js';

/** The table `hoist upload` ends with: each input's id, status and URL or error, then the counts. */
export function uploadSummary(outcomes: readonly FileOutcome[], interrupted: boolean): string {
  const rows = outcomes.map((outcome) => [
    oneLine(outcome.input, 48),
    outcome.id ?? '-',
    `${outcome.status}${outcome.resumed ? ' (resumed)' : outcome.replayed ? ' (already accepted)' : ''}`,
    outcome.error ? oneLine(outcome.error.code === outcome.status ? outcome.error.message : `${outcome.error.code}: ${outcome.error.message}`, 80) : (outcome.url ?? ''),
  ]);
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  const counts = `${outcomes.length - failed} of ${outcomes.length} ok${failed ? `, ${failed} failed` : ''}`;
  const hint = interrupted ? `\n${INTERRUPTED_HINT}\n` : '';
  return `${table(['FILE', 'ID', 'STATUS', 'URL / ERROR'], rows)}${counts}\n${hint}`;
}

/** What running the same command again does after Ctrl-C (the Idempotency-Key of upload-key.ts, tus resume). */
export const INTERRUPTED_HINT =
  'interrupted: run the same command again to resume: files the API already accepted are not sent again (same ids), large files resume where they stopped, the rest are sent';
