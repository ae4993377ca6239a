import type { Readable } from 'node:stream';
import { S3Store, type MetadataValue } from '@tus/s3-store';
import { ERRORS, Upload, type KvStore } from '@tus/utils';
import { s3ClientConfig, type S3Endpoint } from './s3-client-config.js';

export interface S3TusStoreOptions extends S3Endpoint {
  bucket: string;
  /** Key prefix of the tus objects, e.g. `hoist/tmp/tus/`; a missing trailing `/` is added. */
  prefix: string;
  /** How long an unfinished upload is kept (`deleteExpired`); 0 keeps them all. */
  expirationPeriodInMilliseconds: number;
}

/**
 * tus uploads in an S3 bucket: `@tus/s3-store` (one multipart upload per tus upload, `<id>.info`
 * beside it, `<id>.part` for a tail shorter than S3's 5 MiB part minimum), with every object under
 * `prefix`, which `@tus/s3-store` 2 cannot do itself. The tus id (the Hoist upload id) goes in and
 * comes out unprefixed; only the object keys carry the prefix. Any API process can continue an
 * upload another began: the state is all in the bucket (no metadata cache in the process, which
 * would keep another process's `Upload-Defer-Length` answer from being seen).
 *
 * Each part is staged in the OS temp directory (`os.tmpdir()`) while it is sent, then removed:
 * `@tus/s3-store` needs a part's length before it sends it.
 */
export class S3TusStore extends S3Store {
  private readonly prefix: string;

  constructor(options: S3TusStoreOptions) {
    super({
      s3ClientConfig: { ...s3ClientConfig(options), bucket: options.bucket },
      expirationPeriodInMilliseconds: options.expirationPeriodInMilliseconds,
      // Tags would need the bucket's lifecycle rules; expiry here is deleteExpired's sweep.
      useTags: false,
      cache: noCache,
    });
    this.prefix = options.prefix.endsWith('/') || options.prefix === '' ? options.prefix : `${options.prefix}/`;
  }

  /** The object key of upload `id` (its `.info` and `.part` objects add their suffix to it). */
  objectKey(id: string): string {
    return `${this.prefix}${id}`;
  }

  override async create(upload: Upload): Promise<Upload> {
    const created = await super.create(new Upload({ ...upload, id: this.objectKey(upload.id) }));
    return this.unprefixed(created);
  }

  override write(source: Readable, id: string, offset: number): Promise<number> {
    return super.write(source, this.objectKey(id), offset);
  }

  override async getUpload(id: string): Promise<Upload> {
    return this.unprefixed(await super.getUpload(this.objectKey(id)));
  }

  override declareUploadLength(id: string, length: number): Promise<void> {
    return super.declareUploadLength(this.objectKey(id), length);
  }

  /**
   * Deletes upload `id`'s objects, finished or not. `@tus/s3-store` stops at aborting the multipart
   * upload, which S3 no longer knows once it is completed (NoSuchUpload): then `<id>` and `<id>.info`
   * are deleted here. It never deletes an unfinished upload's `<id>.part` tail: that is deleted here
   * too (once the multipart upload is aborted, no expiry sweep would find it).
   * @throws ERRORS.FILE_NOT_FOUND when there is no such upload.
   */
  override async remove(id: string): Promise<void> {
    const key = this.objectKey(id);
    try {
      await super.remove(key);
    } catch (error) {
      if (error !== ERRORS.FILE_NOT_FOUND) throw error;
      // Its `.info` is what makes it an upload; without one there is nothing of it to delete.
      await this.getUpload(id);
      await this.client.deleteObjects({ Bucket: this.bucket, Delete: { Objects: [{ Key: key }, { Key: this.infoKey(key) }] } });
    }
    await this.client.deleteObject({ Bucket: this.bucket, Key: this.partKey(key, true) });
  }

  /** The finished upload's bytes, streamed from the bucket (a GetObject; never held in memory). */
  override read(id: string): Promise<Readable> {
    return super.read(this.objectKey(id));
  }

  /**
   * Aborts the multipart uploads under `prefix` begun more than the expiration period ago, and
   * deletes their `.info` and `.part` objects. `@tus/s3-store`'s own lists every multipart upload in
   * the bucket, so it would abort temp storage's writes (and anyone else's) too.
   * @returns how many objects it deleted.
   */
  override async deleteExpired(): Promise<number> {
    const expiration = this.getExpiration();
    if (expiration === 0) return 0;
    let deleted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      const page = await this.client.listMultipartUploads({ Bucket: this.bucket, Prefix: this.prefix, KeyMarker: keyMarker, UploadIdMarker: uploadIdMarker });
      const expired = (page.Uploads ?? []).filter((upload) => upload.Key && upload.UploadId && upload.Initiated && upload.Initiated.getTime() + expiration < Date.now());
      for (const upload of expired) {
        const key = upload.Key as string;
        await this.client.abortMultipartUpload({ Bucket: this.bucket, Key: key, UploadId: upload.UploadId });
        const answer = await this.client.deleteObjects({ Bucket: this.bucket, Delete: { Objects: [{ Key: this.infoKey(key) }, { Key: this.partKey(key, true) }] } });
        deleted += answer.Deleted?.length ?? 0;
      }
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated ? page.NextUploadIdMarker : undefined;
    } while (keyMarker);
    return deleted;
  }

  private unprefixed(upload: Upload): Upload {
    return new Upload({ ...upload, id: upload.id.startsWith(this.prefix) ? upload.id.slice(this.prefix.length) : upload.id });
  }
}

/** No cache: every process reads an upload's `.info` from the bucket, where another may have changed it. */
const noCache: KvStore<MetadataValue> = {
  get: () => Promise.resolve(undefined),
  set: () => Promise.resolve(),
  delete: () => Promise.resolve(),
};
