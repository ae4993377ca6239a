import type { FetchedBytes } from './upload.js';

/** Brings a URL upload's bytes into temp storage, held to the same rules as a file posted to the API. */
export interface SourceFetcher {
  /**
   * Downloads `url` into temp storage, measuring and sniffing it on the way.
   * @throws SourceFetchError for every refusal and failure (nothing is left in temp storage then).
   */
  fetch(url: string, options?: { signal?: AbortSignal | undefined }): Promise<FetchedBytes>;
}
