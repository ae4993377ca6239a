export { DEFAULT_PART_SIZE_BYTES, DEFAULT_PARTS_IN_FLIGHT, S3TempStorage } from './s3-temp-storage.js';
export type { S3TempStorageOptions } from './s3-temp-storage.js';
