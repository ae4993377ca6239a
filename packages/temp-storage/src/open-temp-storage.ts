import type { TempStorage } from '@hoist/core';
import { LocalTempStorage } from './local-temp-storage.js';

/** Where temp storage lives: what `TEMP_STORAGE_URL` names (`tempStorageLocation` in @hoist/config). */
export type TempStorageLocation =
  | { kind: 'file'; directory: string }
  | {
      kind: 's3';
      bucket: string;
      /** Key prefix, e.g. `hoist/tmp/`; may be empty. */
      prefix: string;
      /** An S3-compatible endpoint (MinIO, R2, s3rver); undefined for AWS S3. */
      endpoint: string | undefined;
      region: string | undefined;
    };

/**
 * The temp storage a process uses, ready: the directory created, or the bucket checked (it exists
 * and the credentials may use it). The one place that picks the adapter, for the API, the workers
 * and the CLI. The S3 adapter (and the AWS SDK) is loaded only when a bucket is named.
 * @throws Error with a one-line reason when the storage cannot be used (missing bucket, refused credentials).
 */
export async function openTempStorage(location: TempStorageLocation): Promise<TempStorage> {
  if (location.kind === 'file') return new LocalTempStorage({ directory: location.directory }).init();
  const { S3TempStorage } = await import('@hoist/temp-storage-s3');
  return new S3TempStorage({ bucket: location.bucket, prefix: location.prefix, endpoint: location.endpoint, region: location.region }).init();
}

/** Where the storage is, for logs: the directory, or `s3://bucket/prefix` with its endpoint (never a credential). */
export function describeTempStorageLocation(location: TempStorageLocation): string {
  if (location.kind === 'file') return location.directory;
  return `s3://${location.bucket}/${location.prefix}${location.endpoint ? ` at ${location.endpoint}` : ''}`;
}
