import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

/** Bytes kept from the start of every file for sniffing (image-size reads at most this much too). */
export const HEAD_BYTES = 512 * 1024;

/** A file written to disk, with what the emulator needs to know about its content. */
export interface WrittenFile {
  readonly path: string;
  readonly bytes: number;
  /** MD5 of the content, hex: Cloudinary's `etag`. */
  readonly md5: string;
  /** The first {@link HEAD_BYTES} bytes (or fewer). */
  readonly head: Buffer;
}

/** The uploaded file as received, with what the client said about it. */
export interface ReceivedFile extends WrittenFile {
  /** File name of the multipart part (the SDK sends `file` unless told otherwise). */
  readonly filename: string | undefined;
  /** Media type declared by a data URI or a remote source's answer. */
  readonly mediaType: string | undefined;
}

/** A fresh, unused file name inside `dir`. */
export function uniquePath(dir: string, prefix = ''): string {
  return join(dir, `${prefix}${Date.now().toString(36)}-${randomBytes(8).toString('hex')}`);
}

/**
 * Streams `source` to `path` (never holding more than the head in memory), hashing as it goes.
 * A failed copy leaves no file behind.
 */
export async function writeFileFrom(source: Readable | Iterable<Buffer> | AsyncIterable<Buffer>, path: string, flags = 'wx'): Promise<WrittenFile> {
  const hash = createHash('md5');
  const headParts: Buffer[] = [];
  let headLength = 0;
  let bytes = 0;
  const inspect = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      bytes += chunk.length;
      if (headLength < HEAD_BYTES) {
        const part = chunk.subarray(0, HEAD_BYTES - headLength);
        headParts.push(Buffer.from(part));
        headLength += part.length;
      }
      callback(null, chunk);
    },
  });
  try {
    await pipeline(source, inspect, createWriteStream(path, { flags }));
  } catch (error) {
    await rm(path, { force: true });
    throw error;
  }
  return { path, bytes, md5: hash.digest('hex'), head: Buffer.concat(headParts, headLength) };
}

/** Reads files one after another as a single stream of buffers. */
export async function* concatenate(paths: readonly string[]): AsyncGenerator<Buffer> {
  for (const path of paths) {
    for await (const chunk of createReadStream(path)) yield chunk as Buffer;
  }
}

/** Removes a file if it is there; cleanup must never turn a response into an error. */
export async function discard(path: string | undefined): Promise<void> {
  if (path !== undefined) await rm(path, { force: true }).catch(() => undefined);
}
