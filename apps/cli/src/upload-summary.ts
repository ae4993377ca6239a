import { oneLine, table } from './table.js';
import type { FileOutcome } from './upload-outcome.js';

/** The table `hoist upload` ends with: each input's id, status and URL or error, then the counts. */
export function uploadSummary(outcomes: readonly FileOutcome[], interrupted: boolean): string {
  const rows = outcomes.map((outcome) => [
    oneLine(outcome.input, 48),
    outcome.id ?? '-',
    `${outcome.status}${outcome.resumed ? ' (resumed)' : ''}`,
    outcome.error ? oneLine(outcome.error.code === outcome.status ? outcome.error.message : `${outcome.error.code}: ${outcome.error.message}`, 80) : (outcome.url ?? ''),
  ]);
  const failed = outcomes.filter((outcome) => !outcome.ok).length;
  const counts = `${outcomes.length - failed} of ${outcomes.length} ok${failed ? `, ${failed} failed` : ''}`;
  const hint = interrupted ? '\ninterrupted: run the same command again to resume large uploads where they stopped\n' : '';
  return `${table(['FILE', 'ID', 'STATUS', 'URL / ERROR'], rows)}${counts}\n${hint}`;
}
