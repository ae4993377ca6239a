import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { TempObjectMissingError, TempStorageUnavailableError } from '@hoist/core';
import { describeTempStorage } from '@hoist/core/conformance';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from '../../../test/support/local-s3.js';
import { S3TempStorage, type S3TempStorageOptions } from './s3-temp-storage.js';

const BUCKET = 'hoist-temp';
const MiB = 1024 * 1024;
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
});
afterAll(async () => {
  await s3?.stop();
});

/** A storage under a prefix of its own, so each test sees an empty store. */
function storage(options: Partial<S3TempStorageOptions> = {}): Promise<S3TempStorage> {
  return new S3TempStorage({ bucket: BUCKET, prefix: `t-${randomUUID()}/`, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS, ...options }).init();
}

async function listAll(store: S3TempStorage) {
  const listed = [];
  for await (const object of store.list({ olderThan: new Date(Date.now() + 60_000) })) listed.push(object);
  return listed;
}

/** The names of the commands the storage's client sends from now on. */
function recordCommands(store: S3TempStorage): string[] {
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

describeTempStorage('S3TempStorage (s3rver)', () => storage());

describe('S3TempStorage', () => {
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
    expect(commands.filter((name) => name === 'UploadPartCommand')).toHaveLength(3);
    expect(commands).not.toContain('PutObjectCommand');
    const read = Buffer.concat(await (await store.openRead(key)).toArray());
    expect(read.equals(body)).toBe(true);
    const range = Buffer.concat(await (await store.openRead(key, { start: 5 * MiB - 2, end: 5 * MiB + 1 })).toArray());
    expect(range.equals(body.subarray(5 * MiB - 2, 5 * MiB + 2))).toBe(true);
    expect(await store.stat(key)).toEqual({ bytes: body.length });
  });

  it('keeps nothing visible when the source fails after several parts, and reports the source error', async () => {
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
    expect(await listAll(store)).toEqual([]);
    // The parts already sent are given up (s3rver itself cannot abort; S3 and MinIO do).
    expect(commands).toContain('UploadPartCommand');
    expect(commands).toContain('AbortMultipartUploadCommand');
  });

  it('stops start-up with a one-line reason when the bucket does not exist', async () => {
    const missing = new S3TempStorage({ bucket: 'no-such-bucket', endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS });
    await expect(missing.init()).rejects.toThrow(/^Temp storage s3:\/\/no-such-bucket\/ at http:\/\/127\.0\.0\.1:\d+: the bucket does not exist/);
  });

  it('reports an unreachable store as TempStorageUnavailableError, never as a missing object', async () => {
    const down = new S3TempStorage({ bucket: BUCKET, endpoint: 'http://127.0.0.1:1', credentials: S3RVER_CREDENTIALS });
    await expect(down.init()).rejects.toThrow(/cannot reach the store/);
    await expect(down.write(Readable.from([Buffer.from('bytes')]))).rejects.toBeInstanceOf(TempStorageUnavailableError);
    const key = randomUUID();
    await expect(down.openRead(key)).rejects.toBeInstanceOf(TempStorageUnavailableError);
    await expect(down.exists(key)).rejects.toBeInstanceOf(TempStorageUnavailableError);
    await expect(down.delete(key)).rejects.toBeInstanceOf(TempStorageUnavailableError);
  });

  it('reports a missing object on stat', async () => {
    const store = await storage();
    await expect(store.stat(randomUUID())).rejects.toBeInstanceOf(TempObjectMissingError);
  });
});
