import { describeUploadProvider, RATE_LIMIT_RESET_SECONDS, type ProviderFault } from '../conformance/upload-provider.conformance.js';
import { RateLimitedError, PermanentProviderError, RetryableProviderError } from '../errors.js';
import { MEMORY_PROVIDER_LIMITS, MemoryUploadProvider } from './memory-upload.provider.js';

// The memory provider has no wire: each fault is the error its adapter would have made of it.
const SCRIPTED: Record<ProviderFault, () => Error> = {
  rate_limited: () => new RateLimitedError('420', { status: 420, resetAt: new Date(Date.now() + RATE_LIMIT_RESET_SECONDS * 1000) }),
  retryable: () => new RetryableProviderError('503', { status: 503 }),
  permanent: () => new PermanentProviderError('Invalid image file', { status: 400 }),
  timeout: () => new RetryableProviderError('Request Timeout', { status: 499 }),
};

function fixture(provider: MemoryUploadProvider) {
  return Promise.resolve({
    provider,
    read: (result: { publicId: string }) => Promise.resolve(provider.assets.get(result.publicId)),
    fault: (kind: ProviderFault) => {
      provider.failNext(SCRIPTED[kind]());
      return Promise.resolve();
    },
    image: (seed: number) => Buffer.from(`not really a png ${seed}`),
  });
}

describeUploadProvider('MemoryUploadProvider', () => fixture(new MemoryUploadProvider()));
describeUploadProvider('MemoryUploadProvider, with a size limit', () => fixture(new MemoryUploadProvider({ limits: { ...MEMORY_PROVIDER_LIMITS, maxFileBytes: 4_096 } })));
describeUploadProvider('MemoryUploadProvider, chunking', () =>
  fixture(new MemoryUploadProvider({ limits: { ...MEMORY_PROVIDER_LIMITS, chunking: { thresholdBytes: 1_000, chunkBytes: 400 } } })),
);
