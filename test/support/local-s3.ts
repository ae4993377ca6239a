import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import S3rver from 's3rver';

/** The credentials s3rver accepts (its defaults); any S3 client must sign with them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running s3rver: an S3-compatible server on loopback, its objects in a temp directory of its own. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>`, for `S3_ENDPOINT`. */
  endpoint: string;
  /** The buckets it was started with. */
  buckets: readonly string[];
  /** Where it keeps objects (`<dir>/<bucket>/…`). */
  directory: string;
  /** Stops it and removes its directory. */
  stop: () => Promise<void>;
}

/**
 * Starts s3rver (npm) on a free loopback port with `buckets` created, for the S3 temp storage's tests
 * and `pnpm start` with `TEMP_STORAGE_URL=s3://…` and no `S3_ENDPOINT`. In-process: no Docker, no
 * network beyond loopback. It has no ListMultipartUploads or AbortMultipartUpload (MinIO does).
 */
export async function startLocalS3(buckets: readonly string[], options: { port?: number } = {}): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 'hoist-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  const address = await server.run();
  return {
    endpoint: `http://127.0.0.1:${address.port}`,
    buckets,
    directory,
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
