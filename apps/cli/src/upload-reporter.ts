import type { UploadAccepted, UploadStatus } from '@hoist/client';
import type { UploadInput } from './inputs.js';
import type { FileOutcome } from './upload-outcome.js';

/**
 * What `hoist upload` tells the user as it goes, by index into its inputs. Three renderings: progress
 * bars on a terminal, one line per event otherwise, one JSON document with --json.
 */
export interface UploadReporter {
  /** The bytes of this input start to go out (or the API is asked to fetch the URL). */
  sending(index: number, input: UploadInput): void;
  progress(index: number, sent: number, total: number | null): void;
  /** An earlier run had sent `offset` bytes of this file already; the rest follows. */
  resumed(index: number, offset: number): void;
  accepted(index: number, accepted: UploadAccepted): void;
  /** With --wait: the upload's status changed. */
  update(index: number, status: UploadStatus): void;
  finished(index: number, outcome: FileOutcome): void;
  /** Everything has settled (or Ctrl-C stopped it): the summary. */
  end(outcomes: FileOutcome[], interrupted: boolean): void;
}
