import type { NodeReadableLike } from './types.js';

/** One remembered unfinished tus upload (tus-js-client's `PreviousUpload`). */
export interface RememberedUpload {
  size: number | null;
  metadata: Record<string, string>;
  creationTime: string;
  urlStorageKey: string;
  uploadUrl: string | null;
  parallelUploadUrls: string[] | null;
}

/** tus-js-client's store of unfinished uploads, declared here so the public types need none of its (Node-typed) declarations. */
export interface UrlStorage {
  findAllUploads(): Promise<RememberedUpload[]>;
  findUploadsByFingerprint(fingerprint: string): Promise<RememberedUpload[]>;
  removeUpload(urlStorageKey: string): Promise<void>;
  addUpload(fingerprint: string, upload: RememberedUpload): Promise<string>;
}

/** A local file (Node), ready to be sent either way. */
export interface LocalFile {
  name: string;
  size: number;
  /** What makes it this file for resuming: its absolute path, size and modification time. */
  identity: string;
  /** The file as a Blob that reads it lazily (multipart). */
  blob(): Promise<Blob>;
  /** The file as tus-js-client takes it: a read stream it reads by range. */
  tusInput(): unknown;
}

/**
 * What differs between Node and browsers; `node.ts` and `browser.ts` each give one, so the browser
 * build imports nothing of Node's.
 * @internal
 */
export interface Platform {
  /** Node: a path's file. Browsers: refused. */
  openPath(path: string): Promise<LocalFile>;
  /** A Blob as tus-js-client takes it here (Node: a stream of it, never read whole into memory). */
  blobTusInput(blob: Blob): unknown;
  /** A web stream as tus-js-client takes it here. */
  webStreamTusInput(stream: ReadableStream<Uint8Array>): unknown;
  isNodeStream(value: unknown): value is NodeReadableLike;
  /** A Node stream as tus-js-client takes it (browsers: refused). */
  nodeStreamTusInput(stream: NodeReadableLike): unknown;
  /** Lets go of what a tus input holds (a file descriptor, a stream reader) once the upload has ended, however it ended. */
  release(tusInput: unknown): void;
  /**
   * The multipart POST of `form`; `onBytes(sent)` as the body goes out where the platform can tell
   * (Node streams the body and counts it; a browser's fetch cannot report upload progress).
   */
  multipartRequest(url: string, headers: Record<string, string>, form: FormData, onBytes: (sent: number) => void): Request;
  /** Where unfinished tus uploads are remembered for a later process or page; undefined: nowhere. */
  urlStorage(resumeFile: string | undefined): UrlStorage | undefined;
}
