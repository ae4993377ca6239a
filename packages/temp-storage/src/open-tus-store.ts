import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { FileStore } from '@tus/file-store';
import type { DataStore } from '@tus/utils';
import type { TempStorageLocation } from './open-temp-storage.js';

/** A tus datastore that can also stream a finished upload's bytes back (for the inspection). */
export type TusStore = DataStore & { read(id: string): Readable | Promise<Readable> };

/** Where tus parts go below temp storage: the directory `<dir>/tus`, or the key prefix `<prefix>tus/`. */
export const TUS_SUBDIRECTORY = 'tus';

/**
 * The store of resumable (tus) uploads, beside temp storage so every process that shares temp
 * storage shares them: `@tus/file-store` in `<directory>/tus`, or `@tus/s3-store` in the same bucket
 * under `<prefix>tus/` (same endpoint, region and credentials). Temp storage's own listing skips
 * both (their names are not temp keys). The one place that picks the tus adapter; no I/O.
 */
export async function openTusStore(location: TempStorageLocation, options: { expirationMs: number }): Promise<TusStore> {
  if (location.kind === 'file') {
    const directory = join(location.directory, TUS_SUBDIRECTORY);
    // Owner-only, as temp files are (FileStore would create it open to every local user).
    await mkdir(directory, { recursive: true, mode: 0o700 });
    return new FileStore({ directory, expirationPeriodInMilliseconds: options.expirationMs });
  }
  const { S3TusStore } = await import('@hoist/temp-storage-s3');
  const prefix = location.prefix === '' || location.prefix.endsWith('/') ? location.prefix : `${location.prefix}/`;
  return new S3TusStore({
    bucket: location.bucket,
    prefix: `${prefix}${TUS_SUBDIRECTORY}/`,
    endpoint: location.endpoint,
    region: location.region,
    expirationPeriodInMilliseconds: options.expirationMs,
  });
}
