import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { TempObjectMissingError, type TempStorage } from '@hoist/core';

/** TempStorage in memory, for unit tests. Same contract as the local adapter. */
export class MemoryTempStorage implements TempStorage {
  readonly objects = new Map<string, Buffer>();

  async write(source: Readable): Promise<{ key: string; bytes: number }> {
    const chunks: Buffer[] = [];
    for await (const chunk of source) chunks.push(Buffer.from(chunk as Uint8Array));
    const key = randomUUID();
    const body = Buffer.concat(chunks);
    this.objects.set(key, body);
    return { key, bytes: body.length };
  }

  openRead(key: string): Promise<Readable> {
    const body = this.objects.get(key);
    if (!body) return Promise.reject(new TempObjectMissingError(key));
    return Promise.resolve(Readable.from([body]));
  }

  delete(key: string): Promise<void> {
    this.objects.delete(key);
    return Promise.resolve();
  }

  exists(key: string): Promise<boolean> {
    return Promise.resolve(this.objects.has(key));
  }
}
