export * from './errors.js';
export * from './ids.js';
export type * from './job-queue.js';
export type * from './logger.js';
export * from './process-upload.js';
export type * from './temp-storage.js';
export * from './upload.js';
export type * from './upload-provider.js';
export type * from './upload.repository.js';
