import { afterAll, beforeAll, describe } from 'vitest';
import { startMinio, type LocalS3 } from '../../../test/support/local-s3.js';
import { dockerReachable } from '../../../test/support/services.js';
import { describeS3TempStorage } from './test-support/describe-s3-temp-storage.js';

// The same contract on MinIO in a container, which lists and aborts multipart uploads natively as
// AWS S3 does (s3rver needs test/support's additions for that). Skipped without a Docker engine.

const BUCKET = 'hoist-temp';
const docker = await dockerReachable();
let minio: LocalS3 | undefined;

describe.skipIf(!docker)('MinIO', () => {
  beforeAll(async () => {
    minio = await startMinio([BUCKET]);
  }, 120_000);
  afterAll(async () => {
    await minio?.stop();
  });

  describeS3TempStorage('MinIO', () => minio!, BUCKET);
});
