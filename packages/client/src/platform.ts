import type { Upload } from 'tus-js-client';
import type { NodeReadableLike } from './types.js';

/** tus-js-client's store of unfinished uploads (its type is not exported by name). */
export type UrlStorage = NonNullable<ConstructorParameters<typeof Upload>[1]['urlStorage']>;

/** A local file (Node), ready to be sent either way. */
export interface LocalFile {
  name: string;
  size: number;
  /** The file as a Blob that reads it lazily (multipart). */
  blob(): Promise<Blob>;
  /** The file as tus-js-client takes it (a read stream, so that it can fingerprint it and resume). */
  tusInput(): unknown;
}

/**
 * What differs between Node and browsers; `node.ts` and `browser.ts` each give one, so the browser
 * build imports nothing of Node's.
 */
export interface Platform {
  /** Node: a path's file. Browsers: refused. */
  openPath(path: string): Promise<LocalFile>;
  /** A Blob as tus-js-client takes it here. */
  blobTusInput(blob: Blob): Promise<unknown>;
  /** A web stream as tus-js-client takes it here. */
  webStreamTusInput(stream: ReadableStream<Uint8Array>): unknown;
  isNodeStream(value: unknown): value is NodeReadableLike;
  /** A Node stream as tus-js-client takes it (browsers: refused). */
  nodeStreamTusInput(stream: NodeReadableLike): unknown;
  /**
   * The multipart POST of `form`; `onBytes(sent)` as the body goes out where the platform can tell
   * (Node streams the body and counts it; a browser's fetch cannot report upload progress).
   */
  multipartRequest(url: string, headers: Record<string, string>, form: FormData, onBytes: (sent: number) => void): Request;
  /** Where unfinished tus uploads are remembered; undefined: not at all. */
  urlStorage(resumeFile: string | undefined): UrlStorage | undefined;
}
