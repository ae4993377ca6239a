import type { Agent } from 'node:http';
import type { Readable } from 'node:stream';
import { RetryableProviderError, type EagerPreset, type ProviderAsset, type ProviderLimits, type ProviderUploadRequest, type UploadMetadata, type UploadProvider, type UploadResult } from '@hoist/core';
import type { UploadApiOptions } from 'cloudinary';
import { DEFAULT_CHUNK_BYTES, MIN_CHUNK_BYTES } from './chunk-plan.js';
import { classifyCloudinaryError } from './classify-error.js';
import { chunkRetryPolicy, type ChunkRetryOptions, type ChunkRetryPolicy } from './chunk-retry.js';
import { uploadInChunks, type ChunkHeaders } from './chunked-upload.js';
import { parseCloudinaryUrl, type CloudinaryCredentials } from './cloudinary-url.js';
import { loadCloudinarySdk, usesHttps, type CloudinaryV2 } from './sdk.js';
import { failedOnStaleConnection, providerAgent, sendStream } from './send-stream.js';
import { isAsset, toUploadResult } from './upload-response.js';

/** Hoist's eager preset names in Cloudinary's transformation syntax. */
const EAGER_TRANSFORMATIONS: Record<EagerPreset, string> = {
  thumbnail: 'c_fill,w_200,h_200',
  preview: 'c_limit,w_1280,h_1280',
  square: 'c_fill,ar_1:1,w_800',
};

/** Cloudinary context: `key=value` pairs joined by `|`, with `=` and `|` in values escaped. */
function toContext(metadata: UploadMetadata): string {
  return Object.entries(metadata)
    .map(([key, value]) => `${key}=${String(value).replace(/([=|])/g, '\\$1')}`)
    .join('|');
}

/** Files above this size are chunked by default: a margin under {@link MAX_SINGLE_REQUEST_BYTES}. */
const DEFAULT_CHUNK_THRESHOLD_BYTES = 100 * 1000 * 1000;

/** Cloudinary refuses a single request carrying more than 100 MB ("Maximum is 104857600"); a chunk is a request too. */
const MAX_SINGLE_REQUEST_BYTES = 100 * 1024 * 1024;

/** Longest public id Cloudinary accepts, folders included. */
export const CLOUDINARY_MAX_PUBLIC_ID_LENGTH = 255;

/** Cloudinary's resource types (the path segment of its Upload API); `auto` lets it decide from the bytes. */
export const CLOUDINARY_RESOURCE_TYPES = ['image', 'video', 'raw', 'auto'] as const;

/**
 * What Cloudinary accepts whatever the configuration (an instance's `limits` add its chunking), for
 * a process that checks requests against the provider without holding one (the API without
 * CLOUDINARY_URL).
 */
export const CLOUDINARY_LIMITS: ProviderLimits = Object.freeze({ maxPublicIdLength: CLOUDINARY_MAX_PUBLIC_ID_LENGTH, resourceTypes: CLOUDINARY_RESOURCE_TYPES, eagerTransformations: true });

/** How {@link CloudinaryProvider.create} is configured. */
export interface CloudinaryProviderOptions {
  /** `cloudinary://KEY:SECRET@CLOUD[?upload_prefix=URL]`. */
  url: string;
  /** Per-request timeout (each chunk is a request), ms; the SDK reports expiry as HTTP 499. */
  timeoutMs: number;
  /** Files above this many bytes go through the chunked protocol; default 100 MB (Cloudinary's limit for a single request). */
  chunkThresholdBytes?: number;
  /** Chunk size for chunked uploads, bytes; default 20 MB, at least 5 MB. */
  chunkSizeBytes?: number;
  /** In-place retries of a chunk that failed transiently; default 3 tries, 250 ms doubling to 2 s. */
  chunkRetry?: ChunkRetryOptions;
}

/**
 * UploadProvider on the official Cloudinary SDK. Uploads are streamed (never buffered whole) to a
 * deterministic public id with `overwrite: true`, so a retry after a lost response replaces the
 * same asset instead of creating a second one. Files above the chunk threshold go through
 * Cloudinary's chunked protocol, resumable across attempts (see {@link uploadInChunks}).
 */
export class CloudinaryProvider implements UploadProvider {
  readonly name = 'cloudinary';
  /**
   * No `maxFileBytes`: Cloudinary's depends on the account's plan and the resource type, and it
   * answers a file above it with a 400, which fails the upload as `provider_rejected`.
   */
  readonly limits: ProviderLimits;
  /** Kept-alive connections to the Upload API, shared by every request of this provider (see providerAgent). */
  private readonly agent: Agent | undefined;

  private constructor(
    private readonly sdk: CloudinaryV2,
    private readonly credentials: CloudinaryCredentials,
    private readonly chunking: { thresholdBytes: number; chunkSizeBytes: number; retry: ChunkRetryPolicy },
    private readonly timeoutMs: number,
  ) {
    this.limits = Object.freeze({
      ...CLOUDINARY_LIMITS,
      chunking: { thresholdBytes: chunking.thresholdBytes, chunkBytes: chunking.chunkSizeBytes },
    });
    this.agent = providerAgent(usesHttps(credentials), this.timeoutMs);
  }

  /** Validates the options and loads the SDK (see {@link loadCloudinarySdk} for why it is loaded late). */
  static async create(options: CloudinaryProviderOptions): Promise<CloudinaryProvider> {
    const credentials = parseCloudinaryUrl(options.url);
    const chunkSizeBytes = options.chunkSizeBytes ?? DEFAULT_CHUNK_BYTES;
    if (!Number.isSafeInteger(chunkSizeBytes) || chunkSizeBytes < MIN_CHUNK_BYTES) throw new Error('Cloudinary chunks must be at least 5 MB');
    const thresholdBytes = options.chunkThresholdBytes ?? DEFAULT_CHUNK_THRESHOLD_BYTES;
    // Either would send requests Cloudinary refuses with "File size too large", after the whole file travelled.
    if (thresholdBytes > MAX_SINGLE_REQUEST_BYTES || chunkSizeBytes > MAX_SINGLE_REQUEST_BYTES) {
      throw new Error(`Cloudinary refuses a single request over ${MAX_SINGLE_REQUEST_BYTES} bytes: the chunk threshold and the chunk size must not exceed it`);
    }
    const chunking = {
      thresholdBytes,
      chunkSizeBytes,
      retry: chunkRetryPolicy(options.chunkRetry),
    };
    return new CloudinaryProvider(await loadCloudinarySdk(credentials, options.url), credentials, chunking, options.timeoutMs);
  }

  /** Where requests go: the upload_prefix if set, else Cloudinary's API. For logs; contains no secret. */
  get endpoint(): string {
    return `${this.credentials.uploadPrefix ?? 'https://api.cloudinary.com'} (cloud ${this.credentials.cloudName})`;
  }

  async upload(request: ProviderUploadRequest): Promise<UploadResult> {
    if (request.bytes > this.chunking.thresholdBytes) {
      const asset = await uploadInChunks(request, {
        chunkSizeBytes: this.chunking.chunkSizeBytes,
        retry: this.chunking.retry,
        sendChunk: (source, headers) => this.send(source, request, headers),
      });
      return toUploadResult(this.name, asset);
    }
    // Opened outside send(): a missing temp file is not a provider error and must pass unchanged.
    let answer: unknown;
    try {
      answer = await this.send(await request.open(), request);
    } catch (error) {
      // The server closed the kept-alive connection as the request went out: nothing was
      // processed, so it goes again at once on a connection of its own (the other idle ones may be
      // closing too; same public id, overwrite) instead of costing the upload an attempt. Once: a
      // second failure is the provider's.
      if (!failedOnStaleConnection(error)) throw error;
      answer = await this.send(await request.open(), request, undefined, { fresh: true });
    }
    if (!isAsset(answer)) throw new RetryableProviderError('Cloudinary answered without an asset');
    return toUploadResult(this.name, answer);
  }

  /**
   * Cloudinary's destroy, with `invalidate` so CDN copies go too. "not found" counts as done: the
   * asset is gone either way, which makes a repeated delete safe.
   */
  async destroy(asset: ProviderAsset): Promise<void> {
    let answer: unknown;
    try {
      // The SDK's types list only the destroy-specific options, but it takes credentials and the
      // timeout in the same object, as for uploads.
      const options = { ...this.credentialOptions(), resource_type: asset.resourceType, type: 'upload', invalidate: true, timeout: this.timeoutMs };
      answer = await this.sdk.uploader.destroy(asset.publicId, options as unknown as { invalidate: boolean });
    } catch (error) {
      throw classifyCloudinaryError(error);
    }
    const result = (answer as { result?: unknown } | undefined)?.result;
    if (result !== 'ok' && result !== 'not found') throw new RetryableProviderError(`Cloudinary did not confirm the deletion (${JSON.stringify(result)})`);
  }

  private credentialOptions(): UploadApiOptions {
    return {
      cloud_name: this.credentials.cloudName,
      api_key: this.credentials.apiKey,
      api_secret: this.credentials.apiSecret,
      ...(this.credentials.uploadPrefix ? { upload_prefix: this.credentials.uploadPrefix } : {}),
    };
  }

  /**
   * One Upload API request. A chunk carries exactly the same signed parameters as a whole-file
   * upload — as the SDK's own chunked uploader does — because Cloudinary applies them when the last
   * chunk completes the file; the SDK signs each request with a fresh timestamp.
   */
  private send(source: Readable, request: ProviderUploadRequest, chunk?: ChunkHeaders, { fresh = false } = {}): Promise<unknown> {
    const options: UploadApiOptions = {
      ...this.credentialOptions(),
      public_id: request.publicId,
      overwrite: true,
      unique_filename: false,
      use_filename: false,
      resource_type: (request.resourceType ?? 'auto') as UploadApiOptions['resource_type'],
      tags: request.tags,
      ...(request.metadata ? { context: toContext(request.metadata) } : {}),
      ...(request.eager?.length ? { eager: request.eager.map((preset) => EAGER_TRANSFORMATIONS[preset]).join('|') } : {}),
      // Not signed: the file part's name, from which Cloudinary takes original_filename.
      filename: request.filename,
      timeout: this.timeoutMs,
      // Not signed either: the SDK sends these two as the X-Unique-Upload-Id and Content-Range headers.
      ...(chunk ? { x_unique_upload_id: chunk.sessionId, content_range: chunk.contentRange } : {}),
    };
    return sendStream(this.sdk, source, options, { agent: this.agent, secure: usesHttps(this.credentials), connectTimeoutMs: this.timeoutMs, fresh }, request.onRateLimitHint);
  }
}
