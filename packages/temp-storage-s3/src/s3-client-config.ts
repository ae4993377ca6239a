import type { S3ClientConfig } from '@aws-sdk/client-s3';

/** Where a bucket is and who signs: what S3TempStorage and the tus store on S3 share. */
export interface S3Endpoint {
  /**
   * An S3-compatible endpoint (MinIO, R2, s3rver), e.g. `http://127.0.0.1:9000`. With one, requests
   * use path-style addressing (`endpoint/bucket/key`), which every S3-compatible store accepts.
   * Unset: AWS S3 in `region`.
   */
  endpoint?: string | undefined;
  /** AWS region; default `us-east-1` (R2 wants `auto`, MinIO and s3rver take anything). */
  region?: string | undefined;
  /** Explicit credentials; default the SDK's chain (`AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, profiles, instance roles…). */
  credentials?: S3ClientConfig['credentials'];
}

/**
 * The S3 client configuration for an endpoint: the one place that decides region, path-style,
 * checksums, credentials and timeouts, so temp storage and tus parts reach the bucket alike.
 */
export function s3ClientConfig(options: S3Endpoint): S3ClientConfig {
  return {
    region: options.region ?? 'us-east-1',
    ...(options.endpoint
      ? {
          endpoint: options.endpoint,
          forcePathStyle: true,
          // Checksums only where S3 requires them: several S3-compatible stores refuse the
          // trailing checksums newer SDKs send by default.
          requestChecksumCalculation: 'WHEN_REQUIRED',
          responseChecksumValidation: 'WHEN_REQUIRED',
        }
      : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
    // A store that does not answer must fail the request (503, or a retry) rather than hang it.
    requestHandler: { connectionTimeout: 5_000, requestTimeout: 60_000 },
  };
}
