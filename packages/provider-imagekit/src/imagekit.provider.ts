import { isTempStorageError, PermanentProviderError, RetryableProviderError, saysAnything, type ProviderAsset, type ProviderLimits, type ProviderUploadRequest, type UploadProvider, type UploadResult } from '@hoist/core';
import { ImageKit, NotFoundError } from '@imagekit/nodejs';
import { classifyImageKitError } from './classify-error.js';
import { imageKitTarget } from './file-path.js';
import { multipartBody } from './multipart-body.js';
import { progressDeadline } from './progress-deadline.js';
import { hintFromHeaders } from './rate-limit-hints.js';
import { toUploadResult } from './upload-response.js';

/** Where the SDK sends uploads, and everything else, unless told otherwise. */
export const IMAGEKIT_UPLOAD_BASE_URL = 'https://upload.imagekit.io';
export const IMAGEKIT_API_BASE_URL = 'https://api.imagekit.io';

/**
 * Largest file of ImageKit's free plan: 25 MB for images, audio and raw files (videos may have
 * 100 MB), taken as MiB. Source: the upload method's documentation in `@imagekit/nodejs` 7.11
 * (`resources/files/files.ts`): "On the free plan, the maximum upload file sizes are 25MB for
 * images, audio, and raw files and 100MB for videos" (Lite: 40 MB / 300 MB; Pro: 50 MB / 2 GB).
 * Hoist states one limit for every file, so the default is the one that holds for all of them.
 */
export const IMAGEKIT_FREE_PLAN_MAX_FILE_BYTES = 25 * 1024 * 1024;

/**
 * Longest public id Hoist sends, as the file's path in the media library. ImageKit documents no
 * limit on a path; this is the limit Hoist's other provider has, and the longest a path segment
 * may be on most file systems.
 */
export const IMAGEKIT_MAX_PUBLIC_ID_LENGTH = 255;

/**
 * What ImageKit accepts with the free plan's file size: it takes any kind of file and decides
 * itself whether it is an image (its `fileType`: `image` or `non-image`), so `auto` is the only
 * resource type a client may ask for; it derives nothing at upload time.
 */
export const IMAGEKIT_LIMITS: ProviderLimits = Object.freeze({
  maxPublicIdLength: IMAGEKIT_MAX_PUBLIC_ID_LENGTH,
  resourceTypes: Object.freeze(['auto']),
  maxFileBytes: IMAGEKIT_FREE_PLAN_MAX_FILE_BYTES,
  eagerTransformations: false,
  publicIdProblem: (publicId: string) => {
    try {
      imageKitTarget(publicId);
      return undefined;
    } catch (error) {
      return error instanceof PermanentProviderError ? error.message : String(error);
    }
  },
});

/** The longest a timer may wait: an upload's deadline is its own (see progressDeadline), not the SDK's. */
const NO_SDK_TIMEOUT_MS = 2 ** 31 - 1;

/** How {@link ImageKitProvider.create} is configured. */
export interface ImageKitProviderOptions {
  /** The account's private API key (`IMAGEKIT_PRIVATE_KEY`); sent as the Basic auth user name, never logged. */
  privateKey: string;
  /**
   * Base of the delivery URLs Hoist reports (`IMAGEKIT_URL_ENDPOINT`, e.g.
   * `https://ik.imagekit.io/your_id` or a custom domain); default: the URL in ImageKit's upload answer.
   */
  urlEndpoint?: string | undefined;
  /** Where uploads go (`IMAGEKIT_UPLOAD_BASE_URL`); default {@link IMAGEKIT_UPLOAD_BASE_URL}. */
  uploadBaseUrl?: string | undefined;
  /** Where the media API (look-up, delete) is (`IMAGEKIT_API_BASE_URL`); default {@link IMAGEKIT_API_BASE_URL}. */
  apiBaseUrl?: string | undefined;
  /** Largest file the account's plan takes, bytes (`IMAGEKIT_MAX_FILE_BYTES`); default {@link IMAGEKIT_FREE_PLAN_MAX_FILE_BYTES}. */
  maxFileBytes?: number | undefined;
  /**
   * Timeout, ms: a media API request fails when its answer has not come in this long; an upload
   * when no byte of the file has gone out for this long, or its answer has not come this long after
   * the last byte (sending a large file takes longer than any fixed timeout).
   */
  timeoutMs: number;
}

/** An absolute http(s) URL without its trailing slashes. */
function baseUrl(value: string, name: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`${name} must be an absolute http(s) URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`${name} must be an http or https URL`);
  return value.replace(/\/+$/, '');
}

/**
 * UploadProvider on ImageKit's official Node SDK (`@imagekit/nodejs`). A public id
 * `<tenant>/<folder>/<name>` becomes the file `<name>` in folder `/<tenant>/<folder>`, uploaded with
 * `useUniqueFileName=false` and `overwriteFile=true`, so a retry after a lost answer replaces the
 * same file (a new version of it) instead of adding a second one. The file streams from temp
 * storage (see {@link multipartBody}). The SDK's own retries are off: Hoist's queue retries, and
 * its throttle must see every 429.
 */
export class ImageKitProvider implements UploadProvider {
  readonly name = 'imagekit';
  readonly limits: ProviderLimits;

  private constructor(
    private readonly api: ImageKit,
    private readonly uploads: ImageKit,
    private readonly urlEndpoint: string | undefined,
    private readonly timeoutMs: number,
    maxFileBytes: number,
  ) {
    this.limits = Object.freeze({ ...IMAGEKIT_LIMITS, maxFileBytes });
  }

  /** Validates the options and makes the SDK clients; no request is made. */
  static create(options: ImageKitProviderOptions): ImageKitProvider {
    if (!options.privateKey) throw new Error('IMAGEKIT_PRIVATE_KEY is required');
    if (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0) throw new Error('The ImageKit timeout must be a positive number of milliseconds');
    const maxFileBytes = options.maxFileBytes ?? IMAGEKIT_FREE_PLAN_MAX_FILE_BYTES;
    if (!Number.isSafeInteger(maxFileBytes) || maxFileBytes <= 0) throw new Error('IMAGEKIT_MAX_FILE_BYTES must be a positive whole number of bytes');
    const api = new ImageKit({
      privateKey: options.privateKey,
      baseURL: baseUrl(options.apiBaseUrl ?? IMAGEKIT_API_BASE_URL, 'IMAGEKIT_API_BASE_URL'),
      maxRetries: 0,
      timeout: options.timeoutMs,
    });
    // The upload method names its own host, used only while the client's base URL is ImageKit's
    // default; with a base URL of our own (the emulator), uploads need a client based on theirs.
    const uploads = api.withOptions({ baseURL: baseUrl(options.uploadBaseUrl ?? IMAGEKIT_UPLOAD_BASE_URL, 'IMAGEKIT_UPLOAD_BASE_URL') });
    const urlEndpoint = options.urlEndpoint === undefined || options.urlEndpoint === '' ? undefined : baseUrl(options.urlEndpoint, 'IMAGEKIT_URL_ENDPOINT');
    return new ImageKitProvider(api, uploads, urlEndpoint, options.timeoutMs, maxFileBytes);
  }

  /** Where requests go, for logs; contains no secret. */
  get endpoint(): string {
    return `${this.uploads.baseURL} (uploads), ${this.api.baseURL} (media API)`;
  }

  async upload(request: ProviderUploadRequest): Promise<UploadResult> {
    if (request.resourceType !== undefined && request.resourceType !== 'auto') {
      throw new PermanentProviderError(`ImageKit decides a file's type itself: resource type '${request.resourceType}' cannot be asked for, only 'auto'`);
    }
    const target = imageKitTarget(request.publicId);
    const fields: Record<string, string> = {
      fileName: target.fileName,
      folder: target.folder,
      useUniqueFileName: 'false',
      overwriteFile: 'true',
      ...(request.tags.length > 0 ? { tags: request.tags.join(',') } : {}),
      ...(request.metadata && Object.keys(request.metadata).length > 0 ? { customMetadata: JSON.stringify(request.metadata) } : {}),
    };
    // Opened outside the try: a temp-storage failure is not ImageKit's and passes unchanged.
    const source = await request.open();
    const deadline = progressDeadline(this.timeoutMs);
    const body = multipartBody(fields, { name: target.fileName, contentType: request.contentType, bytes: request.bytes, source }, deadline.touch);
    let answer: { data: ImageKit.FileUploadResponse; response: Response };
    try {
      answer = await this.uploads
        .post<ImageKit.FileUploadResponse>('/api/v1/files/upload', {
          body: body.stream,
          headers: { 'content-type': body.contentType, 'content-length': String(body.length) },
          // The deadline moves with the body (see progressDeadline); the SDK's own would not.
          signal: deadline.signal,
          timeout: NO_SDK_TIMEOUT_MS,
        })
        .withResponse();
    } catch (error) {
      source.destroy();
      const sourceError = body.sourceError();
      if (isTempStorageError(sourceError)) throw sourceError;
      if (deadline.signal.aborted) throw new RetryableProviderError(`ImageKit did not take the upload in time: nothing moved for ${this.timeoutMs} ms`, { cause: error });
      throw this.explain(classifyImageKitError(error, 'upload'), request);
    } finally {
      deadline.clear();
    }
    const hint = hintFromHeaders(answer.response.headers);
    if (saysAnything(hint)) request.onRateLimitHint?.(hint);
    const result = toUploadResult(answer.data, request, this.urlEndpoint);
    if (result === undefined) throw new RetryableProviderError('ImageKit answered the upload without a file id, path, URL and size');
    return result;
  }

  /**
   * Deletes the file by its id, or — without one, or when ImageKit no longer knows that id — finds
   * it by its path and deletes that. A file that is not there is done: a repeated delete is safe.
   */
  async destroy(asset: ProviderAsset): Promise<void> {
    if (asset.assetId && (await this.deleteFile(asset.assetId))) return;
    const fileId = await this.findFileId(asset.publicId);
    if (fileId !== undefined) await this.deleteFile(fileId);
  }

  /** Deletes one file (and its versions); false when ImageKit has no file with that id. */
  private async deleteFile(fileId: string): Promise<boolean> {
    try {
      await this.api.files.delete(fileId);
      return true;
    } catch (error) {
      if (error instanceof NotFoundError) return false;
      throw classifyImageKitError(error, 'delete');
    }
  }

  /** The id of the file at the public id's path, if there is one. */
  private async findFileId(publicId: string): Promise<string | undefined> {
    let target;
    try {
      target = imageKitTarget(publicId);
    } catch {
      // A public id ImageKit cannot hold was never uploaded to it.
      return undefined;
    }
    let found: ImageKit.AssetListResponse;
    try {
      found = await this.api.assets.list({ path: target.folder === '/' ? '/' : `${target.folder}/`, searchQuery: `name = "${target.fileName}"`, limit: 100 });
    } catch (error) {
      // A folder that does not exist holds no file.
      if (error instanceof NotFoundError) return undefined;
      throw classifyImageKitError(error, 'lookup');
    }
    const file = found.find((item): item is ImageKit.File => item.type === 'file' && 'filePath' in item && item.filePath === target.filePath);
    return file?.fileId;
  }

  /** A refused custom metadata field says how to fix it: ImageKit keeps only fields defined beforehand. */
  private explain(error: Error, request: ProviderUploadRequest): Error {
    if (error instanceof PermanentProviderError && request.metadata && /custom ?metadata/i.test(error.message)) {
      return new PermanentProviderError(
        `${error.message} — ImageKit stores only custom metadata fields created beforehand (dashboard, or the Custom Metadata Fields API) with values of their type`,
        { status: error.status, cause: error },
      );
    }
    return error;
  }
}
