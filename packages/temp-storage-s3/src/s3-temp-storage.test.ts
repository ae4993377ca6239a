import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { TempObjectMissingError, TempStorageUnavailableError } from '@hoist/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from '../../../test/support/local-s3.js';
import { S3TempStorage } from './s3-temp-storage.js';
import { describeS3TempStorage, recordCommands } from './test-support/describe-s3-temp-storage.js';

// On s3rver, in-process on loopback (s3-temp-storage.minio.int.test.ts runs the same on MinIO when Docker is there).

const BUCKET = 'hoist-temp';
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
});
afterAll(async () => {
  await s3?.stop();
});

describeS3TempStorage('s3rver', () => s3, BUCKET);

describe('S3TempStorage', () => {
  it('reports the source error, leaving nothing visible, even on a store that cannot abort a multipart upload', async () => {
    const bare = await startLocalS3([BUCKET], { multipartListing: false });
    try {
      const store = await new S3TempStorage({ bucket: BUCKET, endpoint: bare.endpoint, credentials: bare.credentials, partSizeBytes: 5 * 1024 * 1024 }).init();
      let sent = 0;
      const failing = new Readable({
        read() {
          if (sent >= 12) return void this.destroy(new Error('client went away'));
          sent += 1;
          this.push(Buffer.alloc(1024 * 1024, 1));
        },
      });
      const commands = recordCommands(store);
      await expect(store.write(failing)).rejects.toThrow('client went away');
      expect(commands).toContain('AbortMultipartUploadCommand');
      const listed = [];
      for await (const object of store.list({ olderThan: new Date(Date.now() + 60_000) })) listed.push(object);
      expect(listed).toEqual([]);
    } finally {
      await bare.stop();
    }
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
    await expect(down.stat(key)).rejects.toBeInstanceOf(TempStorageUnavailableError);
  });

  it('reports a missing object on stat', async () => {
    const store = await new S3TempStorage({ bucket: BUCKET, prefix: `t-${randomUUID()}`, endpoint: s3.endpoint, credentials: S3RVER_CREDENTIALS }).init();
    await expect(store.stat(randomUUID())).rejects.toBeInstanceOf(TempObjectMissingError);
  });
});
