import { pipeline, type Readable, type Writable } from 'node:stream';
import type { ProviderUploadRequest, UploadProvider, UploadResult } from '@hoist/core';
import { classifyCloudinaryError } from './classify-error.js';
import { parseCloudinaryUrl, type CloudinaryCredentials } from './cloudinary-url.js';
import { loadCloudinarySdk, type CloudinaryV2 } from './sdk.js';

const MB = 1000 * 1000;

export interface CloudinaryProviderOptions {
  /** `cloudinary://KEY:SECRET@CLOUD[?upload_prefix=URL]`. */
  url: string;
  /** Per-request timeout, ms; the SDK reports expiry as HTTP 499. */
  timeoutMs: number;
  /** Files above this many bytes go through the chunked protocol; default 100 MB (Cloudinary's limit for a single request). */
  chunkThresholdBytes?: number;
  /** Chunk size for chunked uploads, bytes; default 20 MB, at least 5 MB. */
  chunkSizeBytes?: number;
}

interface CloudinaryUploadResponse {
  public_id: string;
  version?: number;
  url: string;
  secure_url: string;
  format?: string;
  width?: number;
  height?: number;
  bytes: number;
}

/**
 * UploadProvider on the official Cloudinary SDK. Uploads are streamed (never buffered whole) to a
 * deterministic public id with `overwrite: true`, so a retry after a lost response replaces the
 * same asset instead of creating a second one.
 */
export class CloudinaryProvider implements UploadProvider {
  readonly name = 'cloudinary';

  private constructor(
    private readonly sdk: CloudinaryV2,
    private readonly credentials: CloudinaryCredentials,
    private readonly options: CloudinaryProviderOptions,
  ) {}

  static async create(options: CloudinaryProviderOptions): Promise<CloudinaryProvider> {
    const credentials = parseCloudinaryUrl(options.url);
    const chunk = options.chunkSizeBytes ?? 20 * MB;
    if (chunk < 5 * MB) throw new Error('Cloudinary chunks must be at least 5 MB');
    return new CloudinaryProvider(await loadCloudinarySdk(credentials, options.url), credentials, options);
  }

  /** Where requests go: the upload_prefix if set, else Cloudinary's API. For logs; contains no secret. */
  get endpoint(): string {
    return `${this.credentials.uploadPrefix ?? 'https://api.cloudinary.com'} (cloud ${this.credentials.cloudName})`;
  }

  async upload(request: ProviderUploadRequest): Promise<UploadResult> {
    const source = await request.open();
    const chunked = request.bytes > (this.options.chunkThresholdBytes ?? 100 * MB);
    let response: CloudinaryUploadResponse;
    try {
      response = await this.send(source, request, chunked);
    } catch (error) {
      source.destroy();
      throw classifyCloudinaryError(error);
    }
    return {
      provider: this.name,
      publicId: response.public_id,
      url: response.url,
      secureUrl: response.secure_url,
      format: response.format ?? null,
      width: response.width ?? null,
      height: response.height ?? null,
      bytes: response.bytes,
      version: response.version ?? null,
    };
  }

  private send(source: Readable, request: ProviderUploadRequest, chunked: boolean): Promise<CloudinaryUploadResponse> {
    const options = {
      cloud_name: this.credentials.cloudName,
      api_key: this.credentials.apiKey,
      api_secret: this.credentials.apiSecret,
      ...(this.credentials.uploadPrefix ? { upload_prefix: this.credentials.uploadPrefix } : {}),
      public_id: request.publicId,
      overwrite: true,
      unique_filename: false,
      use_filename: false,
      resource_type: 'auto' as const,
      tags: request.tags,
      filename: request.filename,
      timeout: this.options.timeoutMs,
      ...(chunked ? { chunk_size: this.options.chunkSizeBytes ?? 20 * MB } : {}),
    };
    return new Promise<CloudinaryUploadResponse>((resolve, reject) => {
      // The SDK rejects with plain objects; classifyCloudinaryError reads them as they are.
      const callback = (error: unknown, result?: unknown) => {
        // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
        if (error) reject(error);
        else if (result && typeof result === 'object' && 'public_id' in result) resolve(result as CloudinaryUploadResponse);
        else reject(new Error('Cloudinary answered without an asset'));
      };
      const sink: Writable = chunked
        ? this.sdk.uploader.upload_chunked_stream(options, callback)
        : this.sdk.uploader.upload_stream(options, callback);
      // pipeline, not pipe: a read error on the temp file must reject this call, never surface as an
      // unhandled 'error' event on the SDK's stream (which would take the whole worker down).
      pipeline(source, sink, (error) => {
        if (error) reject(error);
      });
    });
  }
}
