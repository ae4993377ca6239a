import type { ByteRange, ChunkProgress } from '@hoist/core';

/** Cloudinary's smallest chunk; only the last chunk of an upload may be shorter. */
export const MIN_CHUNK_BYTES = 5 * 1000 * 1000;

/** Cloudinary's default chunk size (the SDK's too). */
export const DEFAULT_CHUNK_BYTES = 20 * 1000 * 1000;

/** The emulator refuses longer `X-Unique-Upload-Id` values; Cloudinary documents no limit, so stay well inside it. */
const MAX_SESSION_ID_LENGTH = 255;

/**
 * Where a chunked upload of `bytes` bytes starts: the saved session and offset when they make
 * sense, otherwise a new session from byte 0.
 *
 * Saved offsets are chunk-aligned (progress is written once per acknowledged chunk), but they come
 * from the database and possibly from a release with another chunk size, so anything that is not a
 * whole number within the file starts over rather than sending a range Cloudinary would refuse.
 * An offset that is not a multiple of the chunk size is fine: chunks only need to be contiguous.
 */
export function startingPoint(bytes: number, resume: ChunkProgress | undefined, newSessionId: () => string): ChunkProgress {
  if (
    resume !== undefined &&
    resume.sessionId !== '' &&
    resume.sessionId.length <= MAX_SESSION_ID_LENGTH &&
    Number.isSafeInteger(resume.offset) &&
    resume.offset >= 0 &&
    resume.offset <= bytes
  ) {
    return { sessionId: resume.sessionId, offset: resume.offset };
  }
  return { sessionId: newSessionId(), offset: 0 };
}

/**
 * The inclusive ranges still to send, from `offset` to the end of the file, `chunkSize` bytes each
 * but the last.
 *
 * When `offset` already equals `bytes` (every byte was acknowledged but the answer to the final
 * chunk was lost), the final chunk is sent again: Cloudinary answers a repeated final chunk of a
 * finished upload with the same asset, and it is the only request that can bring that answer back.
 */
export function remainingChunks(bytes: number, chunkSize: number, offset: number): ByteRange[] {
  if (!Number.isSafeInteger(bytes) || bytes < 1) throw new RangeError(`A chunked upload needs at least one byte, got ${bytes}`);
  if (!Number.isSafeInteger(chunkSize) || chunkSize < 1) throw new RangeError(`Invalid chunk size ${chunkSize}`);
  const from = offset >= bytes ? Math.floor((bytes - 1) / chunkSize) * chunkSize : offset;
  const ranges: ByteRange[] = [];
  for (let start = from; start < bytes; start += chunkSize) {
    ranges.push({ start, end: Math.min(start + chunkSize, bytes) - 1 });
  }
  return ranges;
}

/**
 * The `Content-Range` header of one chunk. Non-final chunks say `-1` for the total, the final one
 * says the real total — exactly what the official Node SDK's `upload_chunked_stream` sends, so it is
 * known to be accepted by Cloudinary (the Python SDK sends the real total on every chunk, which
 * Cloudinary also accepts). With `-1` Cloudinary only finishes the upload on the request that
 * carries the total, which is also the only one whose answer we wait for as the asset.
 */
export function contentRange(range: ByteRange, bytes: number): string {
  const final = range.end === bytes - 1;
  return `bytes ${range.start}-${range.end}/${final ? bytes : -1}`;
}
