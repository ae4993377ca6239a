import { createReadStream, mkdirSync, openAsBlob } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { Readable } from 'node:stream';
import * as tus from 'tus-js-client';
import { HoistUsageError } from './errors.js';
import type { Platform, UrlStorage } from './platform.js';
import type { NodeReadableLike } from './types.js';

/** tus-js-client's Node build has a file-backed URL store; its types do not name it. */
const { FileUrlStorage } = tus as unknown as { FileUrlStorage: new (path: string) => UrlStorage };

/** Node: files by path, streamed multipart bodies with progress, resumable tus uploads remembered in a file. */
export const NODE_PLATFORM: Platform = {
  async openPath(path) {
    const info = await stat(path).catch((error: NodeJS.ErrnoException) => {
      throw new HoistUsageError(error.code === 'ENOENT' ? `No such file: ${path}` : `Cannot read ${path}: ${error.message}`);
    });
    if (!info.isFile()) throw new HoistUsageError(`Not a file: ${path}`);
    return {
      name: basename(path),
      size: info.size,
      // Read lazily as the body goes out: a large file is never held in memory.
      blob: () => openAsBlob(path),
      // A read stream with a path: tus-js-client reads it by range and fingerprints it (path, size, mtime) to resume it.
      tusInput: () => createReadStream(path),
    };
  },
  async blobTusInput(blob) {
    return Buffer.from(await blob.arrayBuffer());
  },
  webStreamTusInput(stream) {
    return Readable.fromWeb(stream);
  },
  isNodeStream(value): value is NodeReadableLike {
    return value instanceof Readable || (typeof value === 'object' && value !== null && typeof (value as NodeReadableLike).pipe === 'function' && typeof (value as NodeReadableLike).on === 'function');
  },
  nodeStreamTusInput(stream) {
    return stream;
  },
  multipartRequest(url, headers, form, onBytes) {
    // fetch encodes the form (reading file-backed Blobs as it goes); counting the encoded body as
    // fetch pulls it is the upload's progress.
    const encoded = new Request(url, { method: 'POST', body: form });
    let sent = 0;
    const counted = encoded.body!.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          sent += chunk.byteLength;
          onBytes(sent);
          controller.enqueue(chunk);
        },
      }),
    );
    return new Request(url, { method: 'POST', headers: { ...headers, 'content-type': encoded.headers.get('content-type') ?? '' }, body: counted, duplex: 'half' });
  },
  urlStorage(resumeFile) {
    if (!resumeFile) return undefined;
    mkdirSync(dirname(resumeFile), { recursive: true, mode: 0o700 });
    return new FileUrlStorage(resumeFile);
  },
};
