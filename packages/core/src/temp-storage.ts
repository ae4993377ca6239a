import type { Readable } from 'node:stream';

/**
 * Bytes between accept and provider upload. The API writes, a worker (maybe on another host) reads
 * and deletes: adapters other than a local directory (object stores) must fit the same contract.
 */
export interface TempStorage {
  /**
   * Stores `source` under a new key. The object becomes visible to `openRead` only once the whole
   * stream has been written; on any error (including the source erroring or being destroyed) the
   * partial object is removed before the promise rejects.
   * @returns the key to read it back with, and the number of bytes written.
   */
  write(source: Readable): Promise<{ key: string; bytes: number }>;

  /**
   * A stream of the object's bytes, or of bytes `start` to `end` inclusive (as in HTTP ranges).
   * @throws TempObjectMissingError when there is no object under `key`.
   */
  openRead(key: string, range?: ByteRange): Promise<Readable>;

  /** Removes the object. Idempotent: deleting a missing key succeeds. */
  delete(key: string): Promise<void>;

  /** True when an object is stored under `key`. */
  exists(key: string): Promise<boolean>;

  /**
   * What is stored under `key` now: its size in bytes. The worker compares it with the size
   * recorded at accept before sending, so an object changed or truncated in between is caught.
   * @throws TempObjectMissingError when there is no object under `key`.
   */
  stat(key: string): Promise<{ bytes: number }>;

  /**
   * Every object last written before `olderThan`, including partial ones left by a writer that died
   * mid-stream (`partial: true`), so a sweeper can remove what no upload refers to. `delete(key)`
   * removes partial objects too.
   */
  list(options: { olderThan: Date }): AsyncIterable<StoredObject>;
}

/** Inclusive byte offsets, as in an HTTP Range header. */
export interface ByteRange {
  start: number;
  end: number;
}

export interface StoredObject {
  key: string;
  bytes: number;
  modifiedAt: Date;
  /** Still being written, or abandoned mid-write. */
  partial: boolean;
}
