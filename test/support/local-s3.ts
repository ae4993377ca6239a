import { mkdtemp, readdir, readFile, rm, stat, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { dockerReachable } from './services.js';

/** The credentials s3rver accepts (its defaults); any S3 client must sign with them. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

/** A running s3rver: an S3-compatible server on loopback, its objects in a temp directory of its own. */
export interface LocalS3 {
  /** `http://127.0.0.1:<port>` (or the address it was started on), for `S3_ENDPOINT`. */
  endpoint: string;
  /** The buckets it was started with. */
  buckets: readonly string[];
  /** What an S3 client signs with. */
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Stops it and removes its data. */
  stop: () => Promise<void>;
}

/**
 * Starts s3rver (npm) on a free loopback port (or on `address`, e.g. the namespaced hosts' bridge) with `buckets` created, for the S3 temp storage's tests
 * and `pnpm start` with `TEMP_STORAGE_URL=s3://…` and no `S3_ENDPOINT`. In-process: no Docker, no
 * network beyond loopback. s3rver has no ListMultipartUploads, AbortMultipartUpload or ListParts
 * (which `@tus/s3-store` needs); unless `multipartListing` is false they are added here, read from
 * s3rver's own store, as AWS S3 and MinIO answer them.
 */
export async function startLocalS3(buckets: readonly string[], options: { port?: number; multipartListing?: boolean; address?: string } = {}): Promise<LocalS3> {
  const host = options.address ?? '127.0.0.1';
  const directory = await mkdtemp(join(tmpdir(), 'hoist-s3rver-'));
  const server = new S3rver({
    address: host,
    port: options.port ?? 0,
    silent: true,
    directory,
    configureBuckets: buckets.map((name) => ({ name, configs: [] })),
  });
  keepDirectoriesOnDelete(server);
  // Koa runs its middleware in order; the added calls go first. Composed when the server starts.
  if (options.multipartListing !== false) (server as unknown as { middleware: KoaMiddleware[] }).middleware.unshift(multipartCalls(directory));
  const address = await server.run();
  return {
    endpoint: `http://${host}:${address.port}`,
    buckets,
    credentials: { ...S3RVER_CREDENTIALS },
    stop: async () => {
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** The part of Koa's context the added calls use. */
interface KoaContext {
  method: string;
  path: string;
  query: Record<string, string | string[] | undefined>;
  status: number;
  type: string;
  body: unknown;
}
type KoaMiddleware = (ctx: KoaContext, next: () => Promise<void>) => Promise<void>;

const xml = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/**
 * ListMultipartUploads (`GET /bucket?uploads&prefix=`, one page), ListParts (`GET /bucket/key?uploadId=`,
 * one page) and AbortMultipartUpload (`DELETE /bucket/key?uploadId=`) over s3rver's store: an upload in
 * progress is the directory `<dir>/<bucket>/._S3rver_uploads/<uploadId>/` holding its key and its
 * parts `<n>` with their `<n>.md5` (s3rver 3.7's layout).
 */
function multipartCalls(directory: string): KoaMiddleware {
  const uploadsOf = (bucket: string) => join(directory, bucket, '._S3rver_uploads');
  return async (ctx, next) => {
    // Path-style: /bucket, /bucket/ (the SDK adds the slash) or /bucket/key.
    const [bucket = '', ...rest] = ctx.path.slice(1).split('/');
    const key = rest.join('/');
    if (ctx.method === 'GET' && key === '' && 'uploads' in ctx.query) {
      const prefix = typeof ctx.query.prefix === 'string' ? ctx.query.prefix : '';
      const ids = await readdir(uploadsOf(bucket)).catch(() => []);
      const uploads = [];
      for (const id of ids) {
        const key = await readFile(join(uploadsOf(bucket), id, 'key'), 'utf8').catch(() => undefined);
        if (key === undefined || !key.startsWith(prefix)) continue;
        const initiated = (await stat(join(uploadsOf(bucket), id))).mtime;
        uploads.push(`<Upload><Key>${xml(key)}</Key><UploadId>${id}</UploadId><Initiated>${initiated.toISOString()}</Initiated></Upload>`);
      }
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListMultipartUploadsResult><Bucket>${xml(bucket)}</Bucket><Prefix>${xml(prefix)}</Prefix><IsTruncated>false</IsTruncated>${uploads.join('')}</ListMultipartUploadsResult>`;
      return;
    }
    const uploadId = ctx.query.uploadId;
    if (ctx.method === 'GET' && key !== '' && typeof uploadId === 'string' && /^[0-9a-f]+$/.test(uploadId)) {
      const path = join(uploadsOf(bucket), uploadId);
      const names = await readdir(path).catch(() => undefined);
      if (!names) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
        return;
      }
      const parts = [];
      for (const number of names.filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b)) {
        const md5 = await readFile(join(path, `${number}.md5`), 'utf8').catch(() => undefined);
        // A part still being written has no checksum yet: not a part S3 would list.
        if (md5 === undefined) continue;
        const { size, mtime } = await stat(join(path, String(number)));
        parts.push(`<Part><PartNumber>${number}</PartNumber><LastModified>${mtime.toISOString()}</LastModified><ETag>"${md5}"</ETag><Size>${size}</Size></Part>`);
      }
      ctx.type = 'application/xml';
      ctx.body = `<?xml version="1.0" encoding="UTF-8"?>\n<ListPartsResult><Bucket>${xml(bucket)}</Bucket><Key>${xml(key)}</Key><UploadId>${uploadId}</UploadId><IsTruncated>false</IsTruncated>${parts.join('')}</ListPartsResult>`;
      return;
    }
    if (ctx.method === 'DELETE' && key !== '' && typeof uploadId === 'string' && /^[0-9a-f]+$/.test(uploadId)) {
      const path = join(uploadsOf(bucket), uploadId);
      if (!(await stat(path).catch(() => undefined))) {
        ctx.status = 404;
        ctx.type = 'application/xml';
        ctx.body = '<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchUpload</Code><Message>The specified upload does not exist.</Message></Error>';
        return;
      }
      await rm(path, { recursive: true, force: true });
      ctx.status = 204;
      return;
    }
    await next();
  };
}

/** MinIO image for {@link startMinio}: a release pinned, so a run is repeatable. */
const MINIO_IMAGE = 'minio/minio:RELEASE.2025-09-07T16-13-09Z';

/**
 * MinIO in a container (`@testcontainers/minio`) with `buckets` created, or undefined when no Docker
 * engine is reachable (or HOIST_TEST_SERVICES=local). Unlike s3rver it lists and aborts multipart
 * uploads, as AWS S3 does.
 */
export async function startMinio(buckets: readonly string[]): Promise<LocalS3 | undefined> {
  if (!(await dockerReachable())) return undefined;
  const { MinioContainer } = await import('@testcontainers/minio');
  const container = await new MinioContainer(MINIO_IMAGE).start();
  const endpoint = container.getConnectionUrl();
  const credentials = { accessKeyId: container.getUsername(), secretAccessKey: container.getPassword() };
  const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials });
  try {
    for (const bucket of buckets) await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } finally {
    client.destroy();
  }
  return { endpoint, buckets, credentials, stop: async () => void (await container.stop()) };
}

/** The slice of s3rver 3.7's filesystem store that deleteObject uses. */
interface S3rverStore {
  getResourcePath(bucket: string, key: string, resource: string): string;
  deleteObject(bucket: string, key: string): Promise<void>;
}

/**
 * s3rver 3.7's DeleteObject also removes the object's directory once it is empty, racing a PutObject
 * of another key in the same directory: the put's file then cannot be opened, its write stream's
 * error has no listener (an uncaught exception in the test process) and the put never answers.
 * Real S3 has no directories; here deleting removes the object's files and leaves its directory.
 */
function keepDirectoriesOnDelete(server: S3rver): void {
  const store = (server as unknown as { store: S3rverStore }).store;
  store.deleteObject = async (bucket, key) => {
    await Promise.all(
      ['object', 'object.md5', 'metadata.json'].map((resource) =>
        unlink(store.getResourcePath(bucket, key, resource)).catch((error: unknown) => {
          if ((error as { code?: unknown }).code !== 'ENOENT') throw error;
        }),
      ),
    );
  };
}
