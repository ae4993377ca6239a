import type { UploadAccepted } from '@hoist/client';

/**
 * How one input of `hoist upload` ended, as the summary table and `--json` report it. `status` is the
 * upload's status when the API took it (queued, or with --wait the final one), else `refused` (the API
 * answered with a problem), `not-sent` (unreadable input, API unreachable) or `interrupted` (Ctrl-C).
 */
export interface FileOutcome {
  /** The file or URL as the user named it (a glob's matches by their path). */
  input: string;
  source: 'file' | 'url';
  id: string | null;
  status: string;
  /** False when this input makes the command exit 1. */
  ok: boolean;
  bytes: number | null;
  transport: UploadAccepted['transport'] | null;
  /** A large upload that picked up where an earlier run stopped. */
  resumed: boolean;
  /** An earlier run sent it already (the same input, API and options): the API answered with that upload, nothing new was stored. */
  replayed: boolean;
  /** Where the provider serves it (with --wait, once it succeeded). */
  url: string | null;
  error: { code: string; message: string } | null;
}
