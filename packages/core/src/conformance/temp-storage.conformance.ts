import { Readable } from 'node:stream';
import { TempObjectMissingError } from '../errors.js';
import type { TempStorage } from '../temp-storage.js';
import { describe, expect, it } from 'vitest';

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk as Uint8Array));
  return Buffer.concat(chunks);
}

/** The contract every TempStorage adapter passes. `make` returns a fresh, empty storage. */
export function describeTempStorage(name: string, make: () => Promise<TempStorage>): void {
  describe(`TempStorage conformance: ${name}`, () => {
    it('reads back exactly what was written', async () => {
      const storage = await make();
      const body = Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251));
      const { key, bytes } = await storage.write(Readable.from([body.subarray(0, 1000), body.subarray(1000)]));
      expect(bytes).toBe(body.length);
      expect(await storage.exists(key)).toBe(true);
      expect(await storage.stat(key)).toEqual({ bytes: body.length });
      expect((await readAll(await storage.openRead(key))).equals(body)).toBe(true);
    });

    it('gives each write its own key', async () => {
      const storage = await make();
      const a = await storage.write(Readable.from([Buffer.from('a')]));
      const b = await storage.write(Readable.from([Buffer.from('a')]));
      expect(a.key).not.toBe(b.key);
    });

    it('deletes idempotently and then reports the object missing', async () => {
      const storage = await make();
      const { key } = await storage.write(Readable.from([Buffer.from('bytes')]));
      await storage.delete(key);
      await storage.delete(key);
      expect(await storage.exists(key)).toBe(false);
      await expect(storage.openRead(key)).rejects.toBeInstanceOf(TempObjectMissingError);
      await expect(storage.stat(key)).rejects.toBeInstanceOf(TempObjectMissingError);
    });

    it('rejects the write when the source fails midway', async () => {
      const storage = await make();
      const failing = new Readable({
        read() {
          this.push(Buffer.alloc(1024));
          this.destroy(new Error('client went away'));
        },
      });
      await expect(storage.write(failing)).rejects.toThrow('client went away');
    });

    it('reads a byte range, inclusive at both ends', async () => {
      const storage = await make();
      const body = Buffer.from('0123456789');
      const { key } = await storage.write(Readable.from([body]));
      expect((await readAll(await storage.openRead(key, { start: 2, end: 5 }))).toString()).toBe('2345');
      expect((await readAll(await storage.openRead(key, { start: 9, end: 9 }))).toString()).toBe('9');
    });

    it('reads what there is of a range past the end, and nothing of one starting past it (a reader then sees the object changed)', async () => {
      const storage = await make();
      const { key } = await storage.write(Readable.from([Buffer.from('0123456789')]));
      expect((await readAll(await storage.openRead(key, { start: 0, end: 10 }))).toString()).toBe('0123456789');
      expect((await readAll(await storage.openRead(key, { start: 12, end: 20 }))).length).toBe(0);
    });

    it('lists objects older than a time, and not newer ones', async () => {
      const storage = await make();
      const { key, bytes } = await storage.write(Readable.from([Buffer.from('listed')]));
      const listed: string[] = [];
      for await (const object of storage.list({ olderThan: new Date(Date.now() + 60_000) })) {
        listed.push(object.key);
        if (object.key === key) expect(object).toMatchObject({ bytes, partial: false });
      }
      expect(listed).toContain(key);
      const none: string[] = [];
      for await (const object of storage.list({ olderThan: new Date(Date.now() - 60_000) })) none.push(object.key);
      expect(none).not.toContain(key);
    });

    it('refuses keys it never issued', async () => {
      const storage = await make();
      await expect(storage.openRead('../../etc/passwd')).rejects.toBeInstanceOf(TempObjectMissingError);
      expect(await storage.exists('../../etc/passwd')).toBe(false);
      await expect(storage.stat('../../etc/passwd')).rejects.toBeInstanceOf(TempObjectMissingError);
    });
  });
}
