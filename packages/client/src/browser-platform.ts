import { defaultOptions } from 'tus-js-client';
import { HoistUsageError } from './errors.js';
import type { Platform } from './platform.js';
import type { NodeReadableLike } from './types.js';

/** Browsers: Blobs and Files, web streams; unfinished tus uploads are remembered in localStorage (tus-js-client's default). */
export const BROWSER_PLATFORM: Platform = {
  openPath(path) {
    return Promise.reject(new HoistUsageError(`A file path (${path}) can only be uploaded from Node; in a browser pass a File or Blob.`));
  },
  blobTusInput(blob) {
    return blob;
  },
  webStreamTusInput(stream) {
    return stream.getReader();
  },
  isNodeStream(value): value is NodeReadableLike {
    return typeof value === 'object' && value !== null && typeof (value as NodeReadableLike).pipe === 'function' && typeof (value as NodeReadableLike).on === 'function';
  },
  nodeStreamTusInput() {
    throw new HoistUsageError('A Node stream cannot be uploaded from a browser; pass a File, Blob or web ReadableStream.');
  },
  release(tusInput) {
    const reader = tusInput as { cancel?: () => Promise<void> } | null;
    if (!(tusInput instanceof Blob) && typeof reader?.cancel === 'function') reader.cancel().catch(() => undefined);
  },
  // A browser's fetch cannot report an upload's progress: the client reports 0, then the whole file.
  multipartRequest(url, headers, form) {
    return new Request(url, { method: 'POST', headers, body: form });
  },
  urlStorage() {
    return defaultOptions.urlStorage;
  },
};
