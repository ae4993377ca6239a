import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { PermanentProviderError, RetryableProviderError, type ByteRange, type ProviderUploadRequest } from '@hoist/core';
import { contentRange, remainingChunks, startingPoint } from './chunk-plan.js';
import { withChunkRetry, type ChunkRetryPolicy, type RetryEnvironment } from './chunk-retry.js';
import { isAsset, type CloudinaryAsset } from './upload-response.js';

/** The protocol headers of one chunk request. */
export interface ChunkHeaders {
  /** `X-Unique-Upload-Id`: the same for every chunk of one upload session. */
  sessionId: string;
  /** `Content-Range: bytes START-END/TOTAL`. */
  contentRange: string;
}

/** What {@link uploadInChunks} needs besides the request. */
export interface ChunkedUploadOptions {
  /** Bytes per chunk (the last may be shorter); at least 5 MB for Cloudinary. */
  chunkSizeBytes: number;
  /** In-place retries of a chunk that failed transiently. */
  retry: ChunkRetryPolicy;
  /**
   * Sends one chunk and resolves with Cloudinary's answer as it came. Must reject with a
   * ProviderError (RetryableProviderError is what gets retried in place) or the temp-storage error
   * `source` failed with (passed on as it is), and destroy `source` when it fails.
   */
  sendChunk: (source: Readable, headers: ChunkHeaders) => Promise<unknown>;
  /** A new `X-Unique-Upload-Id` (default: 128 random bits in hex). */
  newSessionId?: () => string;
  /** Backoff clock and randomness, for tests. */
  environment?: RetryEnvironment;
}

const randomSessionId = (): string => randomBytes(16).toString('hex');

/**
 * Uploads `request` with Cloudinary's chunked protocol, resuming an earlier attempt's session when
 * `request.resume` says where it got to, and resolves with the finished asset.
 *
 * - Chunks go one after another (Cloudinary expects them in order); each streams its byte range
 *   from temp storage, so memory stays at stream buffers, not a chunk, let alone the file.
 * - A transient failure (RetryableProviderError) is retried in place by re-reading that range;
 *   Cloudinary treats a repeated range as a replacement, so a chunk that did arrive but whose answer
 *   was lost is harmless. Rate limits and rejections are thrown at once.
 * - After each acknowledged chunk but the last, `request.onProgress` persists the new offset before
 *   the next chunk is sent, so after a crash the next attempt continues from there.
 * - If the final chunk is acknowledged but the upload is not complete, Cloudinary no longer holds the
 *   earlier chunks (an expired session); the upload starts over once in a new session.
 *
 * - A resumed session the provider refuses with a 4xx (other than 401/403) is started over once.
 *
 * Errors from `request.open` and `request.onProgress` are not provider errors and pass through unchanged.
 */
export async function uploadInChunks(request: ProviderUploadRequest, options: ChunkedUploadOptions): Promise<CloudinaryAsset> {
  try {
    return await sendChunks(request, options);
  } catch (error) {
    // A resumed session may have expired at the provider, which may answer with a 4xx rather than
    // an incomplete upload. Rejections that are about us (credentials, signature) would repeat.
    const sessionRefused = error instanceof PermanentProviderError && error.status !== 401 && error.status !== 403;
    if (!request.resume || !sessionRefused) throw error;
    return sendChunks({ ...request, resume: undefined }, options);
  }
}

async function sendChunks(request: ProviderUploadRequest, options: ChunkedUploadOptions): Promise<CloudinaryAsset> {
  const newSessionId = options.newSessionId ?? randomSessionId;
  let { sessionId, offset } = startingPoint(request.bytes, request.resume, newSessionId);

  for (let restarted = false; ; restarted = true) {
    for (const range of remainingChunks(request.bytes, options.chunkSizeBytes, offset)) {
      const final = range.end === request.bytes - 1;
      const answer = await withChunkRetry(() => sendRange(request, options, sessionId, range), options.retry, options.environment);
      // A non-final chunk finishing the upload means another run already sent the rest of this
      // session (a duplicate worker): that asset is the one this upload produces anyway.
      if (isAsset(answer) && (final ? answer.done !== false : answer.done === true)) return answer;
      if (final) break;
      await request.onProgress?.({ sessionId, offset: range.end + 1 });
    }
    if (restarted) {
      throw new RetryableProviderError(`Cloudinary acknowledged every chunk of upload session ${sessionId} but did not complete the upload`);
    }
    sessionId = newSessionId();
    offset = 0;
  }
}

async function sendRange(request: ProviderUploadRequest, options: ChunkedUploadOptions, sessionId: string, range: ByteRange): Promise<unknown> {
  // Opened per try: a retry needs the range from its first byte again.
  const source = await request.open(range);
  return options.sendChunk(source, { sessionId, contentRange: contentRange(range, request.bytes) });
}
