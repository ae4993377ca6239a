import { randomBytes, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { ERRORS, Upload } from '@tus/utils';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalS3, type LocalS3 } from '../../../test/support/local-s3.js';
import { s3ClientConfig } from './s3-client-config.js';
import { S3TempStorage } from './s3-temp-storage.js';
import { S3TusStore } from './s3-tus-store.js';

// The tus store on s3rver (with the test shim's ListParts, ListMultipartUploads, AbortMultipartUpload):
// every object under its prefix, ids unprefixed to @tus/server, and temp storage blind to it.

const BUCKET = 'hoist-tus';
const MiB = 1024 * 1024;
let s3: LocalS3;
let client: S3Client;

beforeAll(async () => {
  s3 = await startLocalS3([BUCKET]);
  client = new S3Client(s3ClientConfig({ endpoint: s3.endpoint, credentials: s3.credentials }));
});
afterAll(async () => {
  client?.destroy();
  await s3?.stop();
});

function store(expirationMs = 60 * 60_000, prefix = 'tmp/tus'): S3TusStore {
  return new S3TusStore({ bucket: BUCKET, prefix, endpoint: s3.endpoint, credentials: s3.credentials, expirationPeriodInMilliseconds: expirationMs });
}
async function keys(prefix: string): Promise<string[]> {
  const page = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
  return (page.Contents ?? []).map((object) => object.Key!).sort();
}
async function readAll(source: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of source) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

describe('S3TusStore', () => {
  it('stores an upload written in pieces under its prefix, reads it back whole, and removes every object of it once finished', async () => {
    const tus = store();
    const id = randomUUID();
    const bytes = randomBytes(6 * MiB + 1000);
    const created = await tus.create(new Upload({ id, size: bytes.length, offset: 0 }));
    expect(created.id).toBe(id);
    // A piece shorter than a part (kept as `<id>.part`), then the rest through another store object (another process).
    expect(await tus.write(Readable.from([bytes.subarray(0, MiB)]), id, 0)).toBe(MiB);
    expect(await keys('tmp/tus/')).toEqual([`tmp/tus/${id}.info`, `tmp/tus/${id}.part`]);
    const other = store();
    expect(await other.getUpload(id)).toMatchObject({ id, offset: MiB, size: bytes.length });
    expect(await other.write(Readable.from([bytes.subarray(MiB)]), id, MiB)).toBe(bytes.length);

    expect(await tus.getUpload(id)).toMatchObject({ id, offset: bytes.length });
    expect((await readAll(await tus.read(id))).equals(bytes)).toBe(true);
    await tus.remove(id);
    expect(await keys('tmp/tus/')).toEqual([]);
    await expect(tus.remove(id)).rejects.toBe(ERRORS.FILE_NOT_FOUND);
  });

  it("expires only its own unfinished uploads, never temp storage's writes in the same bucket", async () => {
    const id = randomUUID();
    await store().create(new Upload({ id, size: 100, offset: 0 }));
    const tempKey = `tmp/${randomUUID()}`;
    await client.send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: tempKey }));
    await new Promise((resolve) => setTimeout(resolve, 20));

    await store(1).deleteExpired();
    const open = await client.send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: 'tmp/' }));
    expect((open.Uploads ?? []).map((upload) => upload.Key)).toEqual([tempKey]);
    expect(await keys('tmp/tus/')).toEqual([]);
  });

  it('is invisible to temp storage under the parent prefix: its listing (the sweeper) skips tus objects', async () => {
    const id = randomUUID();
    const tus = store(60 * 60_000, 'sweep/tus/');
    await tus.create(new Upload({ id, size: 10 * MiB, offset: 0 }));
    await tus.write(Readable.from([randomBytes(MiB)]), id, 0);
    const temp = new S3TempStorage({ bucket: BUCKET, prefix: 'sweep/', endpoint: s3.endpoint, credentials: s3.credentials });
    const listed = [];
    for await (const object of temp.list({ olderThan: new Date(Date.now() + 60_000) })) listed.push(object.key);
    expect(await keys('sweep/')).toEqual([`sweep/tus/${id}.info`, `sweep/tus/${id}.part`]);
    expect(listed).toEqual([]);
    // Terminated unfinished, it leaves nothing either (its tail under 5 MiB included).
    await tus.remove(id);
    expect(await keys('sweep/')).toEqual([]);
  });
});
