export { DEFAULT_PART_SIZE_BYTES, DEFAULT_PARTS_IN_FLIGHT, S3TempStorage } from './s3-temp-storage.js';
export type { S3TempStorageOptions } from './s3-temp-storage.js';
export { s3ClientConfig } from './s3-client-config.js';
export type { S3Endpoint } from './s3-client-config.js';
export { S3TusStore } from './s3-tus-store.js';
export type { S3TusStoreOptions } from './s3-tus-store.js';
