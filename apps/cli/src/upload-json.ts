import type { Output } from './terminal.js';
import type { UploadReporter } from './upload-reporter.js';

/**
 * `hoist upload --json`: nothing while it works, then one JSON document on stdout:
 * `{ ok, interrupted, uploads: FileOutcome[] }` (ok: every input went through).
 */
export function jsonReporter(out: Output): UploadReporter {
  const nothing = () => undefined;
  return {
    sending: nothing,
    progress: nothing,
    resumed: nothing,
    accepted: nothing,
    update: nothing,
    finished: nothing,
    end(outcomes, interrupted) {
      out.write(`${JSON.stringify({ ok: !interrupted && outcomes.every((outcome) => outcome.ok), interrupted, uploads: outcomes })}\n`);
    },
  };
}
