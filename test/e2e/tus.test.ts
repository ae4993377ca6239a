import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Upload } from 'tus-js-client';
import { getUpload, pollUntilSettled } from '../support/api-client.js';
import { pngHead } from '../support/fixtures.js';
import { S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from '../support/local-s3.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait.js';

// Resumable ingest (tus) through the real processes: an upload started on one API process,
// interrupted mid-way and finished through another, then sent to the provider by a worker — with
// temp storage (and so the tus parts) in a shared directory, and in an S3 bucket (s3rver), where the
// API processes share no disk at all.
// (CI size: 24 MB in 1 MB PATCHes; the 200 MB run is the same test with SIZE raised.)

const MB = 1_000_000;
const SIZE = Number(process.env.HOIST_TUS_E2E_BYTES ?? 24 * MB);
const CHUNK = 1 * MB;
const BUCKET = 'hoist-tus-e2e';
const PREFIX = 'tmp/';

const VARIANTS = [
  { kind: 'directory', where: 'a shared directory' },
  { kind: 's3', where: 'an S3 bucket' },
] as const;

describe.each(VARIANTS)('tus, end to end, across API processes, temp storage in $where', ({ kind }) => {
  let stack: Stack;
  let secondApi: string;
  let s3: LocalS3 | undefined;
  let client: S3Client | undefined;

  beforeAll(async () => {
    if (kind === 's3') {
      s3 = await startLocalS3([BUCKET]);
      client = new S3Client({ region: 'us-east-1', endpoint: s3.endpoint, forcePathStyle: true, credentials: S3RVER_CREDENTIALS });
    }
    const s3Env = s3
      ? {
          TEMP_STORAGE_URL: `s3://${BUCKET}/${PREFIX}`,
          S3_ENDPOINT: s3.endpoint,
          AWS_ACCESS_KEY_ID: S3RVER_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: S3RVER_CREDENTIALS.secretAccessKey,
        }
      : {};
    stack = await Stack.start({ workerEnv: { MAX_UPLOAD_BYTES: String(SIZE + MB), ...s3Env } });
    secondApi = await stack.addApi();
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    client?.destroy();
    await s3?.stop();
  });

  /** The tus objects in the bucket (`<prefix>tus/…`). */
  async function tusObjects(): Promise<string[]> {
    const listed = await client!.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `${PREFIX}tus/` }));
    return (listed.Contents ?? []).map((object) => object.Key ?? '');
  }

  it('resumes through a different API process an upload interrupted mid-way; the provider holds the same bytes', async () => {
    const head = pngHead(SIZE);
    const original = Buffer.concat([head, randomBytes(SIZE - head.length)]);

    // First half, through the first API process; the client gives up mid-way (a dropped connection).
    const location = await new Promise<string>((resolve, reject) => {
      const upload: Upload = new Upload(original, {
        endpoint: `${stack.apiUrl}/v1/tus`,
        metadata: { filename: 'large.png', tags: 'tus' },
        chunkSize: CHUNK,
        retryDelays: [],
        onError: reject,
        onSuccess: () => reject(new Error('finished before it could be interrupted')),
        onChunkComplete: (_chunk, sent) => {
          if (sent < SIZE / 2) return;
          void upload.abort().then(() => resolve(new URL(upload.url!).pathname), reject);
        },
      });
      upload.start();
    });
    const id = location.split('/').pop()!;
    expect(location).toBe(`/v1/tus/${id}`);
    if (kind === 's3') {
      // Half an upload, and not a byte of it on the API's disk: it is all in the bucket.
      expect(await tusObjects()).toContain(`${PREFIX}tus/${id}.info`);
      expect(await stack.tempFiles()).toEqual([]);
      expect(existsSync(join(stack.tmpDir, 'tus'))).toBe(false);
    }

    // The other process knows the upload, and how far it got.
    expect(await getUpload(secondApi, id)).toMatchObject({ id, status: 'receiving' });
    const head2 = await fetch(`${secondApi}${location}`, { method: 'HEAD', headers: { 'tus-resumable': '1.0.0' } });
    const offset = Number(head2.headers.get('upload-offset'));
    expect(offset).toBeGreaterThanOrEqual(SIZE / 2);
    expect(offset).toBeLessThan(SIZE);

    // The rest, through the second process.
    await new Promise<void>((resolve, reject) => {
      const upload = new Upload(original, { uploadUrl: `${secondApi}${location}`, chunkSize: CHUNK, retryDelays: [], onError: reject, onSuccess: () => resolve() });
      upload.start();
    });

    const settled = await pollUntilSettled(secondApi, id, 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${stack.logs()}`);
    });
    expect(settled.status, stack.logs()).toBe('succeeded');
    expect(settled.sha256).toBe(createHash('sha256').update(original).digest('hex'));
    const served = Buffer.from(await (await fetch(settled.result!.secureUrl)).arrayBuffer());
    expect(served.length).toBe(SIZE);
    expect(createHash('sha256').update(served).digest('hex')).toBe(settled.sha256);
    if (kind === 's3') {
      // Once finished, the tus copy is gone from the bucket, and nothing was ever written locally.
      await waitFor(async () => ((await tusObjects()).length === 0 ? true : undefined), { timeoutMs: 5_000, what: 'the tus objects to go' });
      expect(await stack.tempFiles()).toEqual([]);
    }
  }, 120_000);
});
