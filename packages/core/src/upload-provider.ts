import type { Readable } from 'node:stream';
import type { ChunkProgress } from './chunk-progress.js';
import type { RateLimitHint } from './rate-limit-hint.js';
import type { ByteRange } from './temp-storage.js';
import type { UploadResult } from './upload.js';
import type { EagerPreset, UploadMetadata } from './upload-options.js';

/** What a provider needs to store one upload. */
export interface ProviderUploadRequest {
  uploadId: string;
  /** Deterministic target id; the same request twice must leave one asset. */
  publicId: string;
  filename: string;
  contentType: string;
  bytes: number;
  tags: string[];
  metadata?: UploadMetadata | null | undefined;
  /** One of the provider's {@link ProviderLimits.resourceTypes}; default `auto`. */
  resourceType?: string | undefined;
  eager?: readonly EagerPreset[] | undefined;
  /** Opens the bytes, or bytes `start`–`end` inclusive; may be called again for a retry within the same attempt. */
  open: (range?: ByteRange) => Promise<Readable>;
  /**
   * Where an earlier attempt's chunked upload got to, if it was cut short (a worker crash): the
   * provider's upload session and the bytes it acknowledged. A provider resumes from there.
   */
  resume?: ChunkProgress | undefined;
  /** Called after each acknowledged chunk, so the progress survives a crash. */
  onProgress?: ((progress: ChunkProgress) => Promise<unknown>) | undefined;
  /**
   * Called with what each successful provider answer said about the rate limit (headers such as
   * an hourly quota, remaining and reset), when it said anything. Must not throw.
   */
  onRateLimitHint?: ((hint: RateLimitHint) => void) | undefined;
}

/**
 * What a provider accepts, stated by the provider itself, so that nothing above an adapter needs to
 * know one provider's numbers or words.
 */
export interface ProviderLimits {
  /** Longest public id it accepts, folders included, in characters (Cloudinary: 255). */
  maxPublicIdLength: number;
  /**
   * The resource types a client may ask for, in the provider's words (Cloudinary: image, video,
   * raw); `auto` among them when the provider can decide from the bytes.
   */
  resourceTypes: readonly string[];
  /** Largest file it stores, bytes; undefined when it states none (it may still refuse one, as a PermanentProviderError). */
  maxFileBytes?: number | undefined;
  /**
   * Files of more than `thresholdBytes` are sent in chunks of `chunkBytes` (the last may be shorter),
   * resumable across attempts through {@link ProviderUploadRequest.resume}; undefined when it never chunks.
   */
  chunking?: { thresholdBytes: number; chunkBytes: number } | undefined;
  /**
   * The media types it stores (sniffed types, e.g. `image/png`); undefined when it takes any file.
   * A file of another type is refused when it is submitted, not after it was queued.
   */
  contentTypes?: readonly string[] | undefined;
  /** Largest metadata it keeps, in bytes of its JSON; undefined when it states none. */
  maxMetadataBytes?: number | undefined;
  /** Whether it derives eager transformations at upload time (Cloudinary does); default false. */
  eagerTransformations?: boolean | undefined;
  /**
   * Why it cannot store an asset under `publicId` (characters or a shape it refuses or would
   * rewrite), in a client's words; undefined when it can. Beyond `maxPublicIdLength`.
   */
  publicIdProblem?: ((publicId: string) => string | undefined) | undefined;
}

/** A stored asset as a provider finds it again, to delete it. */
export interface ProviderAsset {
  publicId: string;
  resourceType: string;
  /** The provider's own id of the asset when it reported one ({@link UploadResult.assetId}). */
  assetId?: string | null | undefined;
}

/** A media provider: Cloudinary, ImageKit or Cloudflare Images. */
export interface UploadProvider {
  /** Short name reported in results, e.g. `cloudinary`. */
  readonly name: string;

  /** What it accepts: public id length, resource types, file size, chunking. */
  readonly limits: ProviderLimits;

  /**
   * Uploads the bytes to `publicId`, replacing any asset there, so a retried call after a lost
   * response still leaves exactly one asset.
   * @throws RateLimitedError, RetryableProviderError or PermanentProviderError; nothing else from the SDK.
   */
  upload(request: ProviderUploadRequest): Promise<UploadResult>;

  /**
   * Deletes the asset at `publicId`. Idempotent: an asset that is already gone is not an error.
   * @throws RateLimitedError, RetryableProviderError or PermanentProviderError.
   */
  destroy(asset: ProviderAsset): Promise<void>;
}
