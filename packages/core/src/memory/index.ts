// In-memory adapters of core's ports, for tests of the use cases (no Postgres, Redis or network).
// Each passes its port's conformance suite (`@hoist/core/conformance`), as the real adapters do.
export { MemoryUploadRepository } from './memory-upload.repository.js';
export { MemoryJobQueue } from './memory-job-queue.js';
export { MEMORY_PROVIDER_LIMITS, MemoryUploadProvider, type MemoryUploadProviderOptions } from './memory-upload.provider.js';
export { MemoryTempStorage } from './memory-temp-storage.js';
export { SILENT_LOGGER } from './silent-logger.js';
