import { randomUUID } from 'node:crypto';
import { pipeline, Readable, Transform } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { TempObjectMissingError, type ByteRange, type StoredObject, type TempStorage } from '@hoist/core';
import { s3ClientConfig, type S3Endpoint } from './s3-client-config.js';
import { isMissing, startupProblem, unavailable } from './s3-errors.js';

const KEY_PATTERN = /^[0-9a-f-]{36}$/;
const MiB = 1024 * 1024;

/** Default of {@link S3TempStorageOptions.partSizeBytes}: S3's smallest part but for the last. */
export const DEFAULT_PART_SIZE_BYTES = 5 * MiB;
/** Default of {@link S3TempStorageOptions.partsInFlight}. */
export const DEFAULT_PARTS_IN_FLIGHT = 2;

export interface S3TempStorageOptions extends S3Endpoint {
  /** The bucket; it must exist (`init()` checks). */
  bucket: string;
  /** Key prefix every object is stored under, e.g. `hoist/tmp/`; default none. A missing trailing `/` is added. */
  prefix?: string;
  /**
   * Bytes per multipart part, at least 5 MiB; default {@link DEFAULT_PART_SIZE_BYTES}. A write holds
   * about `partSizeBytes × (partsInFlight + 1)` in memory (the parts being sent and the one filling),
   * whatever the file's size; a file smaller than one part is sent with one PutObject.
   */
  partSizeBytes?: number;
  /** Parts of one write sent at once; default {@link DEFAULT_PARTS_IN_FLIGHT}. */
  partsInFlight?: number;
}

/**
 * TempStorage in an S3-compatible bucket (AWS S3, MinIO, Cloudflare R2…): `<prefix><key>`. Writes
 * stream through a multipart upload (`@aws-sdk/lib-storage`), which S3 makes visible only when it is
 * completed; on any error it is aborted. A multipart upload that outlives its writer (the process
 * died) is listed as a partial object and aborted by `delete`; a bucket lifecycle rule
 * (`AbortIncompleteMultipartUpload`) is the backstop (README, "S3 temp storage").
 *
 * Connection failures, timeouts, 5xx, throttling and refused credentials become
 * `TempStorageUnavailableError`; a missing object `TempObjectMissingError`.
 */
export class S3TempStorage implements TempStorage {
  readonly client: S3Client;
  private readonly prefix: string;

  constructor(private readonly options: S3TempStorageOptions) {
    const prefix = options.prefix ?? '';
    this.prefix = prefix === '' || prefix.endsWith('/') ? prefix : `${prefix}/`;
    this.client = new S3Client(s3ClientConfig(options));
  }

  /** Where objects go, for logs: `s3://bucket/prefix` (no credentials in it). */
  get location(): string {
    return `s3://${this.options.bucket}/${this.prefix}`;
  }

  /**
   * Checks that the bucket exists and these credentials may use it.
   * @throws Error with a one-line reason (missing bucket, refused credentials, unreachable endpoint).
   */
  async init(): Promise<this> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.options.bucket }));
    } catch (error) {
      throw new Error(`Temp storage ${this.location}${this.options.endpoint ? ` at ${this.options.endpoint}` : ''}: ${startupProblem(error)}`, { cause: error });
    }
    return this;
  }

  async write(source: Readable): Promise<{ key: string; bytes: number }> {
    const key = randomUUID();
    let bytes = 0;
    let sourceError: Error | undefined;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        bytes += chunk.length;
        done(null, chunk);
      },
    });
    pipeline(source, counter, (error) => {
      if (error) sourceError ??= error;
    });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.options.bucket, Key: this.objectKey(key), Body: counter },
      partSize: this.options.partSizeBytes ?? DEFAULT_PART_SIZE_BYTES,
      queueSize: this.options.partsInFlight ?? DEFAULT_PARTS_IN_FLIGHT,
      // Aborting on error is what keeps half an upload from lingering as stored parts.
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (error) {
      counter.destroy();
      // The source's own failure (the client went away, the inspector refused the file) is the
      // reason, even when aborting the multipart upload then failed too.
      if (sourceError !== undefined) throw sourceError;
      throw unavailable(`writing ${this.location}`, error);
    }
    if (sourceError !== undefined) {
      // Ended without an error reaching the upload (a premature close): do not keep a truncated object.
      await this.delete(key).catch(() => undefined);
      throw sourceError;
    }
    return { key, bytes };
  }

  async openRead(key: string, range?: ByteRange): Promise<Readable> {
    const objectKey = this.objectKey(key);
    try {
      const answer = await this.client.send(
        new GetObjectCommand({ Bucket: this.options.bucket, Key: objectKey, ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}) }),
      );
      if (!(answer.Body instanceof Readable)) throw new Error('the S3 client returned no Node stream');
      return answer.Body;
    } catch (error) {
      if (isMissing(error)) throw new TempObjectMissingError(key);
      // A range starting past the end (the object shrank): nothing there, as a file read answers;
      // the reader sees too few bytes and says the object changed.
      if (range && (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 416) return Readable.from([]);
      throw unavailable(`reading ${this.location}`, error);
    }
  }

  async delete(key: string): Promise<void> {
    const objectKey = this.objectKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.options.bucket, Key: objectKey }));
      for await (const upload of this.multipartUploads(objectKey)) {
        if (upload.Key !== objectKey || !upload.UploadId) continue;
        await this.client
          .send(new AbortMultipartUploadCommand({ Bucket: this.options.bucket, Key: objectKey, UploadId: upload.UploadId }))
          .catch((error: unknown) => {
            // Already completed or aborted by someone else: gone, which is what delete wants.
            if (!isMissing(error)) throw error;
          });
      }
    } catch (error) {
      if (isMissing(error)) return;
      throw unavailable(`deleting from ${this.location}`, error);
    }
  }

  async exists(key: string): Promise<boolean> {
    try {
      return (await this.stat(key)) !== undefined;
    } catch (error) {
      if (error instanceof TempObjectMissingError) return false;
      throw error;
    }
  }

  /** The stored object's size in bytes. @throws TempObjectMissingError when there is none. */
  async stat(key: string): Promise<{ bytes: number }> {
    const objectKey = this.objectKey(key);
    try {
      const head = await this.client.send(new HeadObjectCommand({ Bucket: this.options.bucket, Key: objectKey }));
      return { bytes: head.ContentLength ?? 0 };
    } catch (error) {
      if (isMissing(error)) throw new TempObjectMissingError(key);
      throw unavailable(`reading ${this.location}`, error);
    }
  }

  async *list(options: { olderThan: Date }): AsyncIterable<StoredObject> {
    try {
      let token: string | undefined;
      do {
        const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.options.bucket, Prefix: this.prefix, ContinuationToken: token }));
        for (const object of page.Contents ?? []) {
          const key = this.keyOf(object.Key);
          if (!key || !object.LastModified || object.LastModified >= options.olderThan) continue;
          yield { key, bytes: object.Size ?? 0, modifiedAt: object.LastModified, partial: false };
        }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      for await (const upload of this.multipartUploads(this.prefix)) {
        const key = this.keyOf(upload.Key);
        if (!key || !upload.Initiated || upload.Initiated >= options.olderThan) continue;
        // The size of what was sent would take a request per upload; a sweeper does not need it.
        yield { key, bytes: 0, modifiedAt: upload.Initiated, partial: true };
      }
    } catch (error) {
      throw unavailable(`listing ${this.location}`, error);
    }
  }

  /**
   * Multipart uploads in progress under `prefix`: a writer's, or one a dead writer left. A store
   * without the listing (s3rver answers NotImplemented) has none to show: the bucket's lifecycle
   * rule is what removes those.
   */
  private async *multipartUploads(prefix: string): AsyncIterable<{ Key?: string | undefined; UploadId?: string | undefined; Initiated?: Date | undefined }> {
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListMultipartUploadsCommand({ Bucket: this.options.bucket, Prefix: prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker }),
        );
      } catch (error) {
        if ((error as { name?: unknown }).name === 'NotImplemented') return;
        throw error;
      }
      yield* page.Uploads ?? [];
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
  }

  private objectKey(key: string): string {
    // Keys come from this class, but they travel through Redis and Postgres: refuse anything else.
    if (!KEY_PATTERN.test(key)) throw new TempObjectMissingError(key);
    return `${this.prefix}${key}`;
  }

  private keyOf(objectKey: string | undefined): string | undefined {
    if (!objectKey?.startsWith(this.prefix)) return undefined;
    const key = objectKey.slice(this.prefix.length);
    return KEY_PATTERN.test(key) ? key : undefined;
  }
}
