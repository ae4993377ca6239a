import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, open, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { finished, type Readable } from 'node:stream';
import { TempObjectMissingError, type ByteRange, type StoredObject, type TempStorage } from '@hoist/core';

const KEY_PATTERN = /^[0-9a-f-]{36}$/;

// Uploaded bytes are other people's files: only the service user may read them, whatever the
// process umask. Modes apply to what this class creates; an existing directory keeps its own (it
// may be a shared mount or /tmp, which is not ours to change).
const DIRECTORY_MODE = 0o700;
const FILE_MODE = 0o600;

/**
 * How much a file write may buffer before it pushes back on the upload. While one write is at the
 * disk, the chunks that arrive meanwhile wait here and go out together in one writev: measured on
 * 1 GiB in 64 KiB chunks, about a quarter of the user CPU of the default 64 KiB buffer (one write
 * and callback per chunk). Per upload in flight, and only filled while the disk is slower than the
 * network.
 */
const WRITE_BUFFER_BYTES = 1024 * 1024;

export interface LocalTempStorageOptions {
  /** Directory that holds the objects; created on `init()` (mode 0700 when it does not exist yet). */
  directory: string;
}

/**
 * TempStorage in a local directory: `<dir>/<2-char shard>/<key>`. An object is written to
 * `<key>.partial` and renamed when complete, so readers never see half a file. Directories it creates
 * are 0700 and files 0600: readable by the service user only. A directory shared by
 * several hosts (NFS) works, but multi-host setups should prefer an object-store adapter.
 */
export class LocalTempStorage implements TempStorage {
  /** Shard directories this process made sure of: a write into one opens its file without a mkdir first. */
  private readonly shards = new Set<string>();

  constructor(private readonly options: LocalTempStorageOptions) {}

  async init(): Promise<this> {
    await mkdir(this.options.directory, { recursive: true, mode: DIRECTORY_MODE });
    return this;
  }

  async write(source: Readable): Promise<{ key: string; bytes: number }> {
    const key = randomUUID();
    const finalPath = this.pathOf(key);
    const partialPath = `${finalPath}.partial`;
    const fd = await this.createPartial(key.slice(0, 2), partialPath);
    // A plain descriptor and pump(), not a FileHandle and stream/promises' pipeline: each of those
    // builds an Error with its stack on every successful write (pipeline aborts its AbortController
    // when done; a FileHandle's close ends its stream a second time), a cost per small upload.
    const file = createWriteStream('', { fd, highWaterMark: WRITE_BUFFER_BYTES });
    try {
      await pump(source, file);
      await rename(partialPath, finalPath);
    } catch (error) {
      await rm(partialPath, { force: true });
      throw error;
    }
    return { key, bytes: file.bytesWritten };
  }

  /** Creates `<key>.partial` (exclusively, 0600), making its shard directory first if it is not known to exist (or has gone). @returns its descriptor. */
  private async createPartial(shard: string, partialPath: string): Promise<number> {
    const directory = join(this.options.directory, shard);
    if (this.shards.has(directory)) {
      try {
        return await openExclusive(partialPath);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.shards.delete(directory);
      }
    }
    await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
    this.shards.add(directory);
    return openExclusive(partialPath);
  }

  async openRead(key: string, range?: ByteRange): Promise<Readable> {
    const path = this.pathOf(key);
    // Open eagerly so a missing object is reported here, not as a stream error mid-upload.
    const stream = createReadStream(path, range ? { start: range.start, end: range.end } : {});
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new TempObjectMissingError(key) : error),
      );
    });
    return stream;
  }

  async delete(key: string): Promise<void> {
    const path = this.pathOf(key);
    await Promise.all([rm(path, { force: true }), rm(`${path}.partial`, { force: true })]);
  }

  async exists(key: string): Promise<boolean> {
    try {
      await stat(this.pathOf(key));
      return true;
    } catch {
      return false;
    }
  }

  async stat(key: string): Promise<{ bytes: number }> {
    try {
      return { bytes: (await stat(this.pathOf(key))).size };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new TempObjectMissingError(key);
      throw error;
    }
  }

  async *list(options: { olderThan: Date }): AsyncIterable<StoredObject> {
    let shards: string[];
    try {
      shards = await readdir(this.options.directory);
    } catch {
      return;
    }
    for (const shard of shards) {
      let names: string[];
      try {
        names = await readdir(join(this.options.directory, shard));
      } catch {
        continue;
      }
      for (const name of names) {
        const partial = name.endsWith('.partial');
        const key = partial ? name.slice(0, -'.partial'.length) : name;
        if (!KEY_PATTERN.test(key) || key.slice(0, 2) !== shard) continue;
        // The object may be deleted between readdir and stat; that is not an error.
        const info = await stat(join(this.options.directory, shard, name)).catch(() => undefined);
        if (!info || info.mtime >= options.olderThan) continue;
        yield { key, bytes: info.size, modifiedAt: info.mtime, partial };
      }
    }
  }

  private pathOf(key: string): string {
    // Keys come from this class, but they travel through Redis and Postgres: refuse anything that
    // could climb out of the directory.
    if (!KEY_PATTERN.test(key)) throw new TempObjectMissingError(key);
    return join(this.options.directory, key.slice(0, 2), key);
  }
}

/** Opens a new file for writing, failing if it exists (`wx`, mode 0600). */
function openExclusive(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, 'wx', FILE_MODE, (error, fd) => (error ? reject(error) : resolve(fd)));
  });
}

/**
 * Pipes `source` into `file` and resolves once the file is written and closed; as pipeline() does,
 * an error of either stream (or the source closing before its end) destroys both and rejects.
 */
function pump(source: Readable, file: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error) => {
      if (settled) return;
      settled = true;
      source.unpipe(file);
      source.destroy(error);
      file.destroy();
      reject(error);
    };
    finished(source, { writable: false }, (error) => {
      if (error) fail(error);
    });
    finished(file, (error) => {
      if (error) fail(error);
      else if (!settled) {
        settled = true;
        resolve();
      }
    });
    source.pipe(file);
  });
}
