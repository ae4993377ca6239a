import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { TempObjectMissingError } from '../errors.js';
import type { ByteRange, StoredObject, TempStorage } from '../temp-storage.js';

/** TempStorage in memory, for unit tests: passes the same conformance suite as LocalTempStorage (packages/temp-storage). */
export class MemoryTempStorage implements TempStorage {
  readonly objects = new Map<string, Buffer>();
  private readonly writtenAt = new Map<string, Date>();

  async write(source: Readable): Promise<{ key: string; bytes: number }> {
    const chunks: Buffer[] = [];
    for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array));
    const key = randomUUID();
    const body = Buffer.concat(chunks);
    this.objects.set(key, body);
    this.writtenAt.set(key, new Date());
    return { key, bytes: body.length };
  }

  openRead(key: string, range?: ByteRange): Promise<Readable> {
    const body = this.objects.get(key);
    if (!body) return Promise.reject(new TempObjectMissingError(key));
    return Promise.resolve(Readable.from([range ? body.subarray(range.start, range.end + 1) : body]));
  }

  delete(key: string): Promise<void> {
    this.objects.delete(key);
    this.writtenAt.delete(key);
    return Promise.resolve();
  }

  async *list(options: { olderThan: Date }): AsyncIterable<StoredObject> {
    for (const [key, body] of [...this.objects]) {
      const modifiedAt = this.writtenAt.get(key) ?? new Date(0);
      if (modifiedAt < options.olderThan) yield await Promise.resolve({ key, bytes: body.length, modifiedAt, partial: false });
    }
  }

  stat(key: string): Promise<{ bytes: number }> {
    const body = this.objects.get(key);
    return body ? Promise.resolve({ bytes: body.length }) : Promise.reject(new TempObjectMissingError(key));
  }

  exists(key: string): Promise<boolean> {
    return Promise.resolve(this.objects.has(key));
  }
}
