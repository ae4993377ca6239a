import { pipeline } from 'node:stream';
import { SourceFetchError, type FetchedBytes, type SourceFetcher, type TempStorage } from '@hoist/core';
import { fetchRemote, RemoteFetchError, type FetchRemoteOptions, type MinTransferRate, type RemoteUrlPolicy } from '@hoist/remote-fetch';
import { ActiveSvgError, IntakeError, UploadInspector } from './inspector.js';

export interface RemoteSourceOptions {
  storage: TempStorage;
  /** The same limits as files posted to the API. */
  maxBytes: number;
  allowedContentTypes: readonly string[];
  /** `ALLOW_ACTIVE_SVG`: accept SVGs with script or external references; default false (they fail with `active_svg`). */
  allowActiveSvg?: boolean | undefined;
  /** `URL_FETCH_ALLOW` and friends. */
  policy: RemoteUrlPolicy;
  /** Total time for one download, ms. */
  timeoutMs: number;
  /**
   * Slowest acceptable source (`URL_FETCH_MIN_BYTES_PER_SEC` over `URL_FETCH_MIN_RATE_WINDOW_MS`);
   * a slower one fails with `url_fetch_too_slow`, for good. Default: none.
   */
  minRate?: MinTransferRate | undefined;
  /** Test hooks: DNS, extra CAs. */
  fetchOptions?: Pick<FetchRemoteOptions, 'lookup' | 'ca' | 'userAgent'>;
}

/** Remote-fetch failures that can go away by themselves; the rest are answers that will not change. */
const RETRYABLE_FETCH_CODES = new Set(['dns_failed', 'connection_failed', 'timeout']);
const REFUSED_FETCH_CODES = new Set(['invalid_url', 'scheme_not_allowed', 'credentials_in_url', 'port_not_allowed', 'address_not_allowed', 'redirect_not_allowed']);

/**
 * Fetches URL uploads with @hoist/remote-fetch (SSRF-safe: every address and redirect checked, the
 * connection pinned to checked addresses) through the same inspector the API uses for files (size
 * limit, sha256, type sniffed from the bytes), straight into temp storage.
 */
export class RemoteSourceFetcher implements SourceFetcher {
  private readonly allowedTypes: ReadonlySet<string>;

  constructor(private readonly options: RemoteSourceOptions) {
    this.allowedTypes = new Set(options.allowedContentTypes);
  }

  async fetch(url: string, call: { signal?: AbortSignal | undefined } = {}): Promise<FetchedBytes> {
    const { storage, maxBytes, policy, timeoutMs } = this.options;
    try {
      const resource = await fetchRemote(url, policy, { ...this.options.fetchOptions, maxBytes, timeoutMs, signal: call.signal, minRate: this.options.minRate });
      const inspector = new UploadInspector(maxBytes, this.allowedTypes, { allowActiveSvg: this.options.allowActiveSvg });
      // As in the API: a body that breaks off (or runs over) fails the write, which removes the
      // partial object and rejects with the stream's error; the pipeline's callback adds nothing.
      pipeline(resource.body, inspector, () => undefined);
      const { key } = await storage.write(inspector);
      const measured = inspector.result();
      if (measured.bytes === 0 || !measured.contentType) {
        await storage.delete(key);
        throw new SourceFetchError('empty_file', 'The URL returned an empty body.', false);
      }
      return { bytes: measured.bytes, sha256: measured.sha256, contentType: measured.contentType, storageKey: key };
    } catch (error) {
      throw toSourceFetchError(error);
    }
  }
}

function toSourceFetchError(error: unknown): Error {
  if (error instanceof SourceFetchError) return error;
  if (error instanceof ActiveSvgError) return new SourceFetchError('active_svg', error.message, false, { cause: error });
  if (error instanceof IntakeError) {
    return error.reason === 'too-large'
      ? new SourceFetchError('file_too_large', error.message, false, { cause: error })
      : new SourceFetchError('unsupported_media_type', error.message, false, { cause: error });
  }
  if (error instanceof RemoteFetchError) {
    if (REFUSED_FETCH_CODES.has(error.code)) return new SourceFetchError('url_not_allowed', error.message, false, { cause: error });
    if (error.code === 'too_large') return new SourceFetchError('file_too_large', error.message, false, { cause: error });
    // Not retried: a source that drips bytes is slow by design (or a tarpit), and every retry would
    // hold a fetch slot for another window. The client can retry the upload if it disagrees.
    if (error.code === 'too_slow') return new SourceFetchError('url_fetch_too_slow', error.message, false, { cause: error });
    if (error.code === 'http_status') {
      const status = error.status ?? 0;
      const retryable = status >= 500 || status === 429 || status === 408;
      return new SourceFetchError('url_fetch_failed', error.message, retryable, { cause: error });
    }
    return new SourceFetchError('url_fetch_failed', error.message, RETRYABLE_FETCH_CODES.has(error.code), { cause: error });
  }
  // Temp storage or anything unexpected: let the queue retry it like any other surprise.
  return error as Error;
}
