import type { Readable } from 'node:stream';
import {
  isTempStorageError,
  PermanentProviderError,
  RetryableProviderError,
  saysAnything,
  type ProviderAsset,
  type ProviderLimits,
  type ProviderUploadRequest,
  type UploadProvider,
  type UploadResult,
} from '@hoist/core';
import type Cloudflare from 'cloudflare';
import type { Image } from 'cloudflare/resources/images/v1/v1';
import { CLOUDFLARE_FORMATS, CLOUDFLARE_IMAGES_LIMITS, CLOUDFLARE_MAX_METADATA_BYTES } from './cloudflare-images-limits.js';
import { apiError, classifyCloudflareError } from './classify-error.js';
import { customIdProblem } from './custom-id.js';
import { toUploadResult } from './image-result.js';
import { hintFromHeaders } from './rate-limit-hints.js';
import { loadCloudflareSdk, type CloudflareModule } from './sdk.js';

/** Cloudflare's API, where the SDK goes unless told otherwise. */
export const CLOUDFLARE_API_BASE_URL = 'https://api.cloudflare.com/client/v4';

/** How {@link CloudflareImagesProvider.create} is configured. */
export interface CloudflareImagesProviderOptions {
  /** The account the images belong to (`CLOUDFLARE_ACCOUNT_ID`, 32 hex digits in Cloudflare's dashboard). */
  accountId: string;
  /** An API token with Images Write permission on that account (`CLOUDFLARE_API_TOKEN`). */
  apiToken: string;
  /** The API's base URL (`CLOUDFLARE_API_BASE_URL`); default {@link CLOUDFLARE_API_BASE_URL}, the emulator's `<url>/client/v4` locally. */
  baseUrl?: string | undefined;
  /** Per-request timeout, ms, the whole request (the upload's body included) to the end of its answer. */
  timeoutMs: number;
  /**
   * Whether images may only be seen through signed URLs (`CLOUDFLARE_REQUIRE_SIGNED_URLS`); default
   * false. Must stay false: Cloudflare cannot make an image with a custom id private ("Images with
   * custom ID paths cannot be made private using signed URL tokens"), and Hoist needs custom ids to
   * replace an image at its public id. `create` refuses true rather than store public images a
   * configuration calls private.
   */
  requireSignedURLs?: boolean | undefined;
}

/** The SDK's own error for a 409, and Cloudflare's code, for an id already taken ("Resource already exists"). */
const DUPLICATE_ID_CODE = 5409;
/** The metadata key naming the upload an image belongs to. */
export const UPLOAD_ID_KEY = 'hoistUploadId';
/** Cloudflare's "Image not found". */
const NOT_FOUND_CODE = 5404;

/**
 * UploadProvider on the official Cloudflare SDK (`client.images.v1`). An upload is one multipart
 * POST with the public id as Cloudflare's custom `id`; Cloudflare never overwrites an id, so a
 * repeat (a retry after a lost answer, or a client reusing its public id) is answered with a
 * conflict, and the adapter then deletes the image there and creates it again (see {@link upload}).
 * The SDK does not retry (`maxRetries: 0`): Hoist's queue retries, and its throttle must see every 429.
 */
export class CloudflareImagesProvider implements UploadProvider {
  readonly name = 'cloudflare';
  readonly limits: ProviderLimits = CLOUDFLARE_IMAGES_LIMITS;

  private constructor(
    private readonly sdk: CloudflareModule,
    private readonly client: Cloudflare,
    private readonly accountId: string,
  ) {}

  /** Validates the options, loads the SDK (see {@link loadCloudflareSdk}) and makes its client; no network I/O. */
  static async create(options: CloudflareImagesProviderOptions): Promise<CloudflareImagesProvider> {
    if (!/^[0-9a-f]{32}$/i.test(options.accountId)) throw new Error('CLOUDFLARE_ACCOUNT_ID must be the 32 hex digits of a Cloudflare account id');
    if (options.apiToken.trim() === '') throw new Error('CLOUDFLARE_API_TOKEN must be set to an API token with Images Write permission');
    if (!Number.isSafeInteger(options.timeoutMs) || options.timeoutMs <= 0) throw new Error('The Cloudflare Images timeout must be a positive number of milliseconds');
    if (options.requireSignedURLs === true) {
      throw new Error(
        'CLOUDFLARE_REQUIRE_SIGNED_URLS cannot be used: Cloudflare Images cannot make images with custom ids private, and Hoist stores every image at its public id as a custom id',
      );
    }
    const baseUrl = options.baseUrl ?? CLOUDFLARE_API_BASE_URL;
    if (!/^https?:$/.test(URL.parse(baseUrl)?.protocol ?? '')) throw new Error('CLOUDFLARE_API_BASE_URL must be an http(s) URL, such as https://api.cloudflare.com/client/v4');
    const sdk = await loadCloudflareSdk();
    const client = new sdk.Cloudflare({
      apiToken: options.apiToken,
      // Explicitly none: the SDK would otherwise take them from CLOUDFLARE_API_KEY/CLOUDFLARE_EMAIL in the environment.
      apiKey: null,
      apiEmail: null,
      userServiceKey: null,
      baseURL: baseUrl.replace(/\/+$/, ''),
      timeout: options.timeoutMs,
      maxRetries: 0,
    });
    return new CloudflareImagesProvider(sdk, client, options.accountId);
  }

  /**
   * Stores the bytes at `publicId`. Cloudflare answers a create at a taken id with a conflict and has
   * no overwrite, so a replace is a delete and a create — not atomic: if the create then failed, the
   * id would serve nothing. So each image carries the upload it belongs to (`hoistUploadId` in its
   * metadata), and on a conflict the image there is looked at first:
   * - this upload's own (an earlier attempt whose answer was lost): deleted and created again, which
   *   can cost nothing that is not this upload's (`replaces` the asset, as the port asks);
   * - another upload's, or an image Hoist did not store: refused as permanent, naming it — replacing
   *   it could destroy an asset another upload holds, if the create failed (the client must delete
   *   that upload first, or choose another public id).
   * Creating first costs nothing extra in the usual case (a new id). A second conflict means another
   * writer created the id in between: retryable, and the next attempt looks again.
   *
   * The body is read whole before the request (at most 10 MB): Cloudflare takes a single multipart
   * POST and the SDK builds it from a Blob, buffering any stream it is given. Reading it here first
   * also keeps a temp-storage failure apart from the provider's, and lets the second create resend it.
   */
  async upload(request: ProviderUploadRequest): Promise<UploadResult> {
    const metadata = this.checked(request);
    const file = await this.sdk.toFile(await readWhole(request), request.filename, { type: request.contentType });
    let image: Image;
    try {
      image = await this.createImage(request, file, metadata);
    } catch (error) {
      if (!this.isDuplicateId(error)) throw classifyCloudflareError(error, this.sdk);
      await this.refuseUnlessOwn(request);
      await this.deleteImage(request.publicId, request);
      try {
        image = await this.createImage(request, file, metadata);
      } catch (again) {
        if (!this.isDuplicateId(again)) throw classifyCloudflareError(again, this.sdk);
        throw new RetryableProviderError(`Another upload created Cloudflare Images id ${request.publicId} while this one replaced it; the next attempt replaces it again`, {
          status: 409,
          cause: again,
        });
      }
    }
    const result = toUploadResult(this.name, image, request);
    if (result === undefined) throw new RetryableProviderError('Cloudflare Images answered without an image id or a delivery URL');
    return result;
  }

  /**
   * Deletes the image by its Cloudflare id, which is the public id (Hoist always sets a custom id),
   * so an asset recorded without `assetId` is found the same way. Already gone (404 "Image not
   * found") is done.
   */
  async destroy(asset: ProviderAsset): Promise<void> {
    await this.deleteImage(asset.assetId ?? asset.publicId);
  }

  /**
   * Refuses what Cloudflare would refuse before any byte is read, as permanent: an id it does not
   * take, a resource type other than an image, more than 10 MB, a format it does not store, metadata
   * over 1,024 bytes. Returns the metadata as the JSON string Cloudflare's form field takes (the SDK
   * would send an object as `metadata[key]` fields).
   */
  private checked(request: ProviderUploadRequest): string {
    const problem = customIdProblem(request.publicId);
    if (problem !== undefined) throw new PermanentProviderError(`Public id ${JSON.stringify(request.publicId)} cannot be stored: ${problem}`);
    const resourceType = request.resourceType ?? 'auto';
    if (!this.limits.resourceTypes.includes(resourceType)) {
      throw new PermanentProviderError(`Cloudflare Images stores images only (resource type ${this.limits.resourceTypes.join(' or ')}), not ${JSON.stringify(resourceType)}`);
    }
    const maxBytes = this.limits.maxFileBytes ?? Number.POSITIVE_INFINITY;
    if (request.bytes > maxBytes) throw new PermanentProviderError(`Cloudflare Images stores files of at most ${maxBytes} bytes; this one has ${request.bytes}`, { status: 413 });
    if (CLOUDFLARE_FORMATS[request.contentType] === undefined) {
      throw new PermanentProviderError(`Cloudflare Images does not store ${request.contentType} files (it takes ${Object.keys(CLOUDFLARE_FORMATS).join(', ')})`, { status: 415 });
    }
    // The upload the image belongs to goes with it (see upload), counted against Cloudflare's 1,024 bytes.
    const metadata = JSON.stringify({ ...request.metadata, [UPLOAD_ID_KEY]: request.uploadId });
    const size = Buffer.byteLength(metadata);
    if (size > CLOUDFLARE_MAX_METADATA_BYTES) {
      throw new PermanentProviderError(`Cloudflare Images keeps at most ${CLOUDFLARE_MAX_METADATA_BYTES} bytes of metadata (as JSON, with Hoist's ${UPLOAD_ID_KEY}); this has ${size}`);
    }
    return metadata;
  }

  private async createImage(request: ProviderUploadRequest, file: File, metadata: string): Promise<Image> {
    const { data, response } = await this.client.images.v1
      .create({ account_id: this.accountId, id: request.publicId, file, metadata })
      .withResponse();
    reportHint(response, request);
    return data;
  }

  /** @throws PermanentProviderError when the image at the request's id is not this upload's (see {@link upload}). */
  private async refuseUnlessOwn(request: ProviderUploadRequest): Promise<void> {
    let meta: unknown;
    try {
      const { data, response } = await this.client.images.v1.get(request.publicId, { account_id: this.accountId }).withResponse();
      reportHint(response, request);
      meta = data.meta;
    } catch (error) {
      // Deleted in between: nothing to look at, nothing to lose; the create that follows decides.
      if (this.isImageNotFound(error)) return;
      throw classifyCloudflareError(error, this.sdk);
    }
    const owner = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>)[UPLOAD_ID_KEY] : undefined;
    if (owner === request.uploadId) return;
    const held = typeof owner === 'string' ? `upload ${owner}` : 'an image Hoist did not store';
    throw new PermanentProviderError(
      `Cloudflare Images already holds ${held} at id ${request.publicId}, and cannot replace an image in place; delete ${typeof owner === 'string' ? 'that upload' : 'that image'} first, or choose another publicId`,
      { status: 409 },
    );
  }

  /** DELETE by id; an image already gone counts as deleted. */
  private async deleteImage(id: string, request?: ProviderUploadRequest): Promise<void> {
    try {
      const { response } = await this.client.images.v1.delete(id, { account_id: this.accountId }).withResponse();
      if (request !== undefined) reportHint(response, request);
    } catch (error) {
      if (!this.isImageNotFound(error)) throw classifyCloudflareError(error, this.sdk);
    }
  }

  /** Cloudflare's answer to a create at an id that is taken: 409, code 5409. */
  private isDuplicateId(error: unknown): boolean {
    const answered = apiError(error, this.sdk);
    return answered !== undefined && (answered.status === 409 || answered.errors.some((entry) => entry.code === DUPLICATE_ID_CODE));
  }

  /**
   * Cloudflare's "Image not found" (404, code 5404), and no other 404: a wrong account id is a 404 too
   * (code 7003, "Could not route to …"), as is a wrong CLOUDFLARE_API_BASE_URL, and neither may pass
   * for a deleted image.
   */
  private isImageNotFound(error: unknown): boolean {
    const answered = apiError(error, this.sdk);
    return answered?.status === 404 && answered.errors.some((entry) => entry.code === NOT_FOUND_CODE);
  }
}

/** What a successful answer's headers said about the rate limit, to the request's listener. */
function reportHint(response: Response, request: ProviderUploadRequest): void {
  const hint = hintFromHeaders(response.headers);
  if (saysAnything(hint)) request.onRateLimitHint?.(hint);
}

/** The whole body; a temp-storage failure goes on unchanged, any other read failure is retryable. */
async function readWhole(request: ProviderUploadRequest): Promise<Buffer> {
  try {
    const source: Readable = await request.open();
    const chunks: Buffer[] = [];
    for await (const chunk of source) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as Uint8Array));
    return Buffer.concat(chunks);
  } catch (error) {
    if (isTempStorageError(error)) throw error;
    throw new RetryableProviderError('Could not read the upload to send it to Cloudflare Images', { cause: error });
  }
}
