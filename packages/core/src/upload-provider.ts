import type { Readable } from 'node:stream';
import type { UploadResult } from './upload.js';

/** What a provider needs to store one upload. */
export interface ProviderUploadRequest {
  uploadId: string;
  /** Deterministic target id; the same request twice must leave one asset. */
  publicId: string;
  filename: string;
  contentType: string;
  bytes: number;
  tags: string[];
  /** Opens the bytes; may be called again for a retry within the same attempt. */
  open: () => Promise<Readable>;
}

/** A media provider (Cloudinary now; ImageKit and Cloudflare Images later). */
export interface UploadProvider {
  /** Short name reported in results, e.g. `cloudinary`. */
  readonly name: string;

  /**
   * Uploads the bytes to `publicId`, replacing any asset there, so a retried call after a lost
   * response still leaves exactly one asset.
   * @throws RateLimitedError, RetryableProviderError or PermanentProviderError; nothing else from the SDK.
   */
  upload(request: ProviderUploadRequest): Promise<UploadResult>;
}
