import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';

/** A multipart/form-data body whose file part streams from its source as it is sent. */
export interface MultipartBody {
  /** The `Content-Type` header, with the boundary. */
  contentType: string;
  /** Exact length of the body, bytes, when the file's length is known: the `Content-Length` header. */
  length: number;
  /** The body, read once by the request. */
  stream: AsyncIterable<Uint8Array>;
  /** What the file's source failed with while it was read, if it did (a temp-storage error, say). */
  sourceError(): unknown;
}

/** A media type safe to put in a part header as it is; anything else goes as octet-stream. */
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+$/;

/**
 * Builds the upload's multipart body: the text `fields` first, then `file` as the part named
 * `file`, streamed from `source` without holding it in memory.
 *
 * Why not the SDK's own `files.upload`: it turns a stream into a Blob before sending, so it reads
 * the whole file into memory; its client sends an async iterable as the body as it comes, so the
 * body is built here and posted through the same client (auth, timeout, errors unchanged).
 */
export function multipartBody(
  fields: Readonly<Record<string, string>>,
  file: { name: string; contentType: string; bytes: number; source: Readable },
  /** Called as each piece is handed to the request (the request pulls the next one as it sends). */
  onPiece: () => void = () => undefined,
): MultipartBody {
  const boundary = `hoist-${randomBytes(16).toString('hex')}`;
  const head = Buffer.from(
    [
      ...Object.entries(fields).map(([name, value]) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`),
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${file.name}"\r\n`,
      `Content-Type: ${MEDIA_TYPE.test(file.contentType) ? file.contentType : 'application/octet-stream'}\r\n\r\n`,
    ].join(''),
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  let failure: unknown;
  async function* stream(): AsyncGenerator<Uint8Array> {
    onPiece();
    yield head;
    try {
      for await (const chunk of file.source) {
        onPiece();
        yield chunk as Buffer;
      }
    } catch (error) {
      failure = error;
      throw error;
    }
    onPiece();
    yield tail;
  }
  return {
    contentType: `multipart/form-data; boundary=${boundary}`,
    length: head.length + file.bytes + tail.length,
    stream: stream(),
    sourceError: () => failure,
  };
}
