import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, UploadPartCommand } from '@aws-sdk/client-s3';
import { describeTempStorage } from '@hoist/core/conformance';
import { describe, expect, it } from 'vitest';
import type { LocalS3 } from '../../../../test/support/local-s3.js';
import { S3TempStorage, type S3TempStorageOptions } from '../s3-temp-storage.js';

const MiB = 1024 * 1024;

/**
 * The TempStorage contract and the S3 adapter's own promises (multipart writes, aborts, dead
 * writers' uploads) against an S3-compatible server; `server()` gives it once started, with `bucket`.
 */
export function describeS3TempStorage(name: string, server: () => LocalS3, bucket: string): void {
  /** A storage under a prefix of its own, so each test sees an empty store. */
  const storage = (options: Partial<S3TempStorageOptions> = {}) =>
    new S3TempStorage({ bucket, prefix: `t-${randomUUID()}/`, endpoint: server().endpoint, credentials: server().credentials, ...options }).init();

  const prefixOf = (store: S3TempStorage) => store.location.slice(`s3://${bucket}/`.length);

  async function listAll(store: S3TempStorage) {
    const listed = [];
    for await (const object of store.list({ olderThan: new Date(Date.now() + 60_000) })) listed.push(object);
    return listed;
  }

  async function pendingUploads(store: S3TempStorage): Promise<number> {
    return (await store.client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: prefixOf(store) }))).Uploads?.length ?? 0;
  }

  describeTempStorage(name, () => storage());

  describe(`S3TempStorage on ${name}`, () => {
    it('streams a file larger than a part as a multipart upload and reads it back whole and in ranges', async () => {
      const store = await storage({ partSizeBytes: 5 * MiB, partsInFlight: 2 });
      const body = Buffer.alloc(11 * MiB + 123, 7);
      for (let i = 0; i < body.length; i += 4096) body[i] = i % 251;
      // Many small chunks, as a request body arrives.
      const chunks = Array.from({ length: Math.ceil(body.length / 65_536) }, (_, i) => body.subarray(i * 65_536, (i + 1) * 65_536));
      const commands = recordCommands(store);
      const { key, bytes } = await store.write(Readable.from(chunks));
      expect(bytes).toBe(body.length);
      // Three parts of at most 5 MiB, never one PutObject of the whole file.
      expect(commands.filter((command) => command === 'UploadPartCommand')).toHaveLength(3);
      expect(commands).not.toContain('PutObjectCommand');
      const read = Buffer.concat(await (await store.openRead(key)).toArray());
      expect(read.equals(body)).toBe(true);
      const range = Buffer.concat(await (await store.openRead(key, { start: 5 * MiB - 2, end: 5 * MiB + 1 })).toArray());
      expect(range.equals(body.subarray(5 * MiB - 2, 5 * MiB + 2))).toBe(true);
      expect(await store.stat(key)).toEqual({ bytes: body.length });
      expect(await pendingUploads(store)).toBe(0);
    });

    it('keeps nothing, not even parts, when the source fails after several parts, and reports the source error', async () => {
      const store = await storage({ partSizeBytes: 5 * MiB });
      let sent = 0;
      const failing = new Readable({
        read() {
          if (sent >= 12 * MiB) {
            this.destroy(new Error('client went away'));
            return;
          }
          sent += MiB;
          this.push(Buffer.alloc(MiB, 1));
        },
      });
      const commands = recordCommands(store);
      await expect(store.write(failing)).rejects.toThrow('client went away');
      expect(commands).toContain('UploadPartCommand');
      expect(await listAll(store)).toEqual([]);
      expect(await pendingUploads(store)).toBe(0);
    });

    it('lists a multipart upload a dead writer left as a partial object, and delete aborts it', async () => {
      const store = await storage();
      const key = randomUUID();
      const objectKey = `${prefixOf(store)}${key}`;
      const { UploadId } = await store.client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey }));
      await store.client.send(new UploadPartCommand({ Bucket: bucket, Key: objectKey, UploadId, PartNumber: 1, Body: Buffer.alloc(5 * MiB) }));
      expect(await listAll(store)).toEqual([expect.objectContaining({ key, partial: true })]);
      // Not older than a time before it began.
      const none = [];
      for await (const object of store.list({ olderThan: new Date(Date.now() - 60_000) })) none.push(object);
      expect(none).toEqual([]);
      await store.delete(key);
      await store.delete(key);
      expect(await listAll(store)).toEqual([]);
      expect(await pendingUploads(store)).toBe(0);
    });
  });
}

/** The names of the commands the storage's client sends from now on. */
export function recordCommands(store: S3TempStorage): string[] {
  const commands: string[] = [];
  store.client.middlewareStack.add(
    (next, context) => (args) => {
      commands.push(context.commandName ?? '?');
      return next(args);
    },
    { step: 'initialize' },
  );
  return commands;
}
