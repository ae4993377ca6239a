import { createReadStream, openAsBlob } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { HoistUsageError } from './errors.js';
import type { Platform } from './platform.js';
import { ResumeStore } from './resume-store.js';
import type { NodeReadableLike } from './types.js';

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
      identity: `file:${resolve(path)}:${info.size}:${info.mtimeMs}`,
      // Read lazily as the body goes out: a large file is never held in memory.
      blob: () => openAsBlob(path),
      // A read stream with a path: tus-js-client reads it by range, so it can resume at any offset.
      tusInput: () => createReadStream(path),
    };
  },
  blobTusInput(blob) {
    return Readable.fromWeb(blob.stream());
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
  release(tusInput) {
    const stream = tusInput as { destroy?: () => void } | null;
    if (typeof stream?.destroy === 'function') stream.destroy();
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
    return new ResumeStore({
      read: () => readFile(resumeFile, 'utf8').catch(() => undefined),
      async write(text) {
        await mkdir(dirname(resumeFile), { recursive: true, mode: 0o700 });
        const temporary = `${resumeFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
        await writeFile(temporary, text, { mode: 0o600 });
        await rename(temporary, resumeFile);
      },
    });
  },
};
