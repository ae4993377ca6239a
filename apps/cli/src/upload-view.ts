import { formatBytes } from './bytes.js';
import type { Upload } from '@hoist/client';
import { fields } from './table.js';

/** An upload as the user commands print it: the fields a user acts on, one per line. */
export function describeUpload(upload: Upload): string {
  return fields(`upload ${upload.id}`, [
    ['status', upload.status],
    ['file', upload.filename],
    ['bytes', upload.bytes === null ? null : formatBytes(upload.bytes)],
    ['provider', upload.provider],
    ['created', upload.createdAt],
    ['url', upload.result?.secureUrl],
    ['error', upload.error ? `${upload.error.code}: ${upload.error.message}` : null],
  ]);
}

/** An upload's status that means it will not reach the provider (or is gone): a user waiting on it wants to know, by exit code. */
export const endedBadly = (upload: Upload) => upload.status === 'failed' || upload.status === 'cancelled';
