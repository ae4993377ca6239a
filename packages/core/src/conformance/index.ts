// Conformance suites for core's ports (vitest): every adapter of a port runs its port's suite.
// Test code only: not part of the build, exported under the `@hoist/source` condition that tests use.
export { describeUploadRepository, type UploadRepositoryFixture } from './upload.repository.conformance.js';
export { describeJobQueue, type JobQueueFixture } from './job-queue.conformance.js';
export { describeUploadProvider, RATE_LIMIT_RESET_SECONDS, type ProviderFault, type UploadProviderFixture } from './upload-provider.conformance.js';
export { describeTempStorage } from './temp-storage.conformance.js';
