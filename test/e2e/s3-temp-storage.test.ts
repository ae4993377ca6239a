import { createHash, randomBytes } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, postUpload, type UploadView } from '../support/api-client.js';
import { makePng, pngHead } from '../support/fixtures.js';
import { S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from '../support/local-s3.js';
import { freePort, TestProcess } from '../support/processes.js';
import { createTestDatabase } from '../support/resources.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Temp storage in an S3-compatible bucket (s3rver on loopback) instead of a shared directory: the
// API streams each file into the bucket, the worker reads it back (whole, or in ranges for the
// provider's chunks) and deletes it once the upload is recorded.

const BUCKET = 'hoist-e2e';
const PREFIX = 'tmp/';
const MB = 1_000_000;
const LARGE = 12 * MB;

/** A file the API accepts as a PNG: a PNG head, then random filler without CR (never a multipart delimiter). */
function largePng(size: number): Buffer {
  const head = pngHead(size);
  const filler = randomBytes(size - head.length);
  for (let i = 0; i < filler.length; i++) if (filler[i] === 0x0d) filler[i] = 0x0e;
  return Buffer.concat([head, filler]);
}

describe('temp storage on S3, end to end', () => {
  let s3: LocalS3;
  let stack: Stack;
  let client: S3Client;

  beforeAll(async () => {
    s3 = await startLocalS3([BUCKET]);
    client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    stack = await Stack.start({
      workerEnv: {
        TEMP_STORAGE_URL: `s3://${BUCKET}/${PREFIX}`,
        S3_ENDPOINT: s3.endpoint,
        AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        CHUNKED_UPLOAD_THRESHOLD_BYTES: String(6 * MB),
        CHUNK_SIZE_BYTES: String(5 * MB),
      },
    });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
    client?.destroy();
    await s3?.stop();
  });

  async function storedKeys(): Promise<string[]> {
    const listed = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: PREFIX }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  async function sendAndSettle(bytes: Buffer, filename: string): Promise<UploadView> {
    const accepted = await postUpload(stack.apiUrl, bytes, filename);
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const { id } = accepted.body as { id: string };
    return pollUntilSettled(stack.apiUrl, id, 45_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });
  }

  async function expectServed(upload: UploadView, original: Buffer): Promise<void> {
    expect(upload.status, stack.logs()).toBe('succeeded');
    expect(upload.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    const served = Buffer.from(await (await fetch(upload.result!.secureUrl)).arrayBuffer());
    expect(served.equals(original)).toBe(true);
  }

  it('takes a small PNG and a file sent in chunks through the bucket, serves identical bytes and leaves no temp object', async () => {
    const small = makePng(16, 16, 3);
    const large = largePng(LARGE);
    const [smallUpload, largeUpload] = await Promise.all([sendAndSettle(small, 'small.png'), sendAndSettle(large, 'large.png')]);
    await expectServed(smallUpload, small);
    await expectServed(largeUpload, large);
    // Deleted once the outcome is recorded, just after the status turns final.
    await waitFor(async () => ((await storedKeys()).length === 0 ? true : undefined), { timeoutMs: 10_000, intervalMs: 100, what: 'the temp objects to be deleted' });
    // Nothing went to the local directory.
    expect(await stack.tempFiles()).toEqual([]);
  }, 90_000);

  it('stops the API at start-up with a one-line reason when the bucket does not exist', async () => {
    const database = await createTestDatabase();
    const api = new TestProcess('api-no-bucket', 'apps/api/dist/main.js', {
      ...stack.env,
      DATABASE_URL: database.url,
      PORT: String(await freePort()),
      TEMP_STORAGE_URL: 's3://no-such-bucket/tmp/',
    });
    try {
      const { code } = await api.exited;
      expect(code).toBe(1);
      expect(api.output.join('\n')).toMatch(/api failed to start: Temp storage s3:\/\/no-such-bucket\/tmp\/ at http:\/\/127\.0\.0\.1:\d+: the bucket does not exist/);
    } finally {
      await api.stop();
      await database.drop();
    }
  }, 30_000);
});
