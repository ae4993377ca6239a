import { randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, rename, rm, stat, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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
    const handle = await this.createPartial(key.slice(0, 2), partialPath);
    const file = handle.createWriteStream({ highWaterMark: WRITE_BUFFER_BYTES });
    try {
      await pipeline(source, file);
      await rename(partialPath, finalPath);
    } catch (error) {
      await rm(partialPath, { force: true });
      throw error;
    }
    return { key, bytes: file.bytesWritten };
  }

  /** Creates `<key>.partial` (exclusively, 0600), making its shard directory first if it is not known to exist (or has gone). */
  private async createPartial(shard: string, partialPath: string): Promise<FileHandle> {
    const directory = join(this.options.directory, shard);
    if (this.shards.has(directory)) {
      try {
        return await open(partialPath, 'wx', FILE_MODE);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        this.shards.delete(directory);
      }
    }
    await mkdir(directory, { recursive: true, mode: DIRECTORY_MODE });
    this.shards.add(directory);
    return open(partialPath, 'wx', FILE_MODE);
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
    // unlink, not rm: an object is a file, and rm's lstat and recursion cost a job more than the
    // unlink. A key has its complete file or its partial one, never both (the partial is renamed
    // into place), so the partial is looked for only when the complete file is not there.
    if (!(await unlinkIfThere(path))) await unlinkIfThere(`${path}.partial`);
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

/** Removes the file at `path`; false if there was none. */
async function unlinkIfThere(path: string): Promise<boolean> {
  try {
    await unlink(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return false;
  }
}
