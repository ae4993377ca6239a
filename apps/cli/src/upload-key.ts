import { createHash } from 'node:crypto';
import type { UploadOptions } from '@hoist/client';
import type { UploadInput } from './inputs.js';

/**
 * The Idempotency-Key `hoist upload` sends for one input: the same for the same input to the same API
 * with the same options, so running a command again (after Ctrl-C, a lost connection, or just twice)
 * replays what the API already accepted (the same upload, nothing stored twice) instead of uploading
 * it again, and a large file's tus upload resumes (the SDK's resume fingerprint includes the key).
 * A file is named by its absolute path, size and modification time: a changed file is a new upload.
 * A URL is named by itself. `attempt` > 0 names a fresh upload of the same input after the one an
 * earlier key accepted failed, or was deleted or cancelled (see upload.command.ts).
 */
export function uploadKey(apiUrl: string, input: Exclude<UploadInput, { kind: 'unusable' }>, options: UploadOptions, attempt = 0): string {
  const what = input.kind === 'file' ? ['file', input.path, input.size, input.mtimeMs] : ['url', input.url];
  const digest = createHash('sha256')
    .update(JSON.stringify(['hoist-cli-upload', apiUrl, what, options, attempt]))
    .digest('hex');
  return `hoist-cli-${digest}`;
}
