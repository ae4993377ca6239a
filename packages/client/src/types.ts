import type { paths } from './openapi-types.js';

type Json<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

/** The upload resource (`GET /v1/uploads/:id`), as the API's OpenAPI document describes it. */
export type Upload = Json<paths['/v1/uploads/{id}']['get']['responses'][200]>;
export type UploadStatus = Upload['status'];
/** Where the upload landed, once `succeeded` (kept as a record once `deleted`). */
export type UploadResult = NonNullable<Upload['result']>;
/** A page of `GET /v1/uploads`. */
export type UploadPage = Json<paths['/v1/uploads']['get']['responses'][200]>;
/** Filters and paging of `GET /v1/uploads`. */
export type ListQuery = NonNullable<paths['/v1/uploads']['get']['parameters']['query']>;

/** Statuses no worker changes any more. */
export const FINAL_STATUSES: readonly UploadStatus[] = ['succeeded', 'failed', 'cancelled', 'deleted'];
export const isFinalStatus = (status: UploadStatus): boolean => FINAL_STATUSES.includes(status);

/** A Node.js readable stream, without importing Node's types into the browser build. */
export interface NodeReadableLike {
  pipe: unknown;
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  readable?: boolean;
}

/**
 * What `upload()` takes:
 * - a string starting with `http://` or `https://`, or a `URL`: the API fetches it (a URL upload);
 * - any other string: a path to a local file (Node only);
 * - a `Blob` or `File`, or bytes;
 * - a web `ReadableStream` or a Node readable stream: sent through tus (its length may be unknown).
 */
export type UploadSource = string | URL | Blob | Uint8Array | ReadableStream<Uint8Array> | NodeReadableLike;

export interface Progress {
  /** Bytes of the file sent so far. */
  sent: number;
  /** The file's size; null while it is unknown (a stream). */
  total: number | null;
}

export interface UploadOptions {
  /** The file's name as the upload records it; default: the path's or File's name, else `upload`. */
  filename?: string;
  publicId?: string;
  folder?: string;
  tags?: readonly string[];
  metadata?: Record<string, string | number | boolean>;
  resourceType?: 'image' | 'video' | 'raw' | 'auto';
  /** Preset names: thumbnail, preview, square. */
  eager?: readonly string[];
  /** cloudinary, imagekit or cloudflare; default: the tenant's, else the deployment's. */
  provider?: string;
  /** Answer with an earlier succeeded upload of the same bytes instead of uploading again. */
  dedupe?: boolean;
  /** Makes the request safe to repeat; default: a random key per call, the same on its retries. */
  idempotencyKey?: string;
  /** A stream's length in bytes, when known. */
  size?: number;
  /**
   * `auto` (default): tus for files of at least `tusThresholdBytes` and for streams, multipart
   * otherwise. `multipart` or `tus` to choose.
   */
  transport?: 'auto' | 'multipart' | 'tus';
  signal?: AbortSignal;
  onProgress?: (progress: Progress) => void;
  /** tus: called when an interrupted earlier upload of this file is resumed, with the bytes the server already had. */
  onResume?: (offset: number) => void;
}

/** What the API said when it took the upload; follow it with `waitFor(id)`. */
export interface UploadAccepted {
  id: string;
  /** Usually `queued`; a tus upload whose bytes were refused after its last byte is `failed`. */
  status: UploadStatus;
  statusUrl: string;
  transport: 'multipart' | 'url' | 'tus';
  /** The Idempotency-Key had been used for this very request: this is the earlier upload. */
  replayed: boolean;
  /** `dedupe`: an earlier upload already held these bytes; this is it. */
  deduplicated: boolean;
  /** tus: an interrupted earlier upload of the same file was resumed instead of starting over. */
  resumed: boolean;
}

export interface HoistClientOptions {
  /** The API's base URL, e.g. `http://127.0.0.1:3000` (routes are under `/v1`). */
  baseUrl: string | URL;
  /** An API key (`Authorization: Bearer`); leave out with `AUTH=off`. */
  apiKey?: string | undefined;
  /** The fetch to use; default: the global one. */
  fetch?: typeof fetch;
  /**
   * How many times a request is repeated after a transient failure (no answer, a 5xx, or a 429 —
   * after its Retry-After); default 4. Only requests safe to repeat are (uploads carry an Idempotency-Key).
   */
  retries?: number;
  /** First retry delay; doubled each time, with jitter, at most 30 s; default 500 ms. */
  retryDelayMs?: number;
  /** Files at least this large go through tus (resumable); default 16 MiB. */
  tusThresholdBytes?: number;
  /** tus PATCH size; default 8 MiB. */
  tusChunkBytes?: number;
  /**
   * Node: a JSON file where unfinished tus uploads are remembered, so that a later process uploading
   * the same file resumes it. Browsers remember them in localStorage. Default: not remembered.
   */
  resumeFile?: string;
  /** Node: the User-Agent header (browsers set their own). */
  userAgent?: string;
}
