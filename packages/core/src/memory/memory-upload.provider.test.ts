import { describeUploadProvider } from '../conformance/upload-provider.conformance.js';
import { RateLimitedError, PermanentProviderError, RetryableProviderError } from '../errors.js';
import { MEMORY_PROVIDER_LIMITS, MemoryUploadProvider } from './memory-upload.provider.js';

function fixture(provider: MemoryUploadProvider) {
  return Promise.resolve({
    provider,
    read: (result: { publicId: string }) => Promise.resolve(provider.assets.get(result.publicId)),
    fault: (kind: 'rate_limited' | 'retryable' | 'permanent') => {
      const error = kind === 'rate_limited' ? new RateLimitedError('420') : kind === 'retryable' ? new RetryableProviderError('503', { status: 503 }) : new PermanentProviderError('Invalid image file', { status: 400 });
      provider.failNext(error);
      return Promise.resolve();
    },
    image: (seed: number) => Buffer.from(`not really a png ${seed}`),
  });
}

describeUploadProvider('MemoryUploadProvider', () => fixture(new MemoryUploadProvider()));
describeUploadProvider('MemoryUploadProvider, chunking', () =>
  fixture(new MemoryUploadProvider({ limits: { ...MEMORY_PROVIDER_LIMITS, chunking: { thresholdBytes: 1_000, chunkBytes: 400 } } })),
);
