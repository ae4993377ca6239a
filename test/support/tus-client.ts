import { Upload } from 'tus-js-client';

/** Sends `bytes` through tus (tus-js-client) to `${apiUrl}/v1/tus` in `chunkSize` PATCHes; resolves with the upload's id (tus's and Hoist's). */
export function tusUpload(apiUrl: string, bytes: Buffer, filename: string, { chunkSize = 1_000_000 }: { chunkSize?: number } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const upload: Upload = new Upload(bytes, {
      endpoint: `${apiUrl}/v1/tus`,
      metadata: { filename },
      chunkSize,
      retryDelays: [],
      onError: reject,
      onSuccess: () => resolve(new URL(upload.url!).pathname.split('/').pop()!),
    });
    upload.start();
  });
}
