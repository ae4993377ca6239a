export { LocalTempStorage } from './local-temp-storage.js';
export type { LocalTempStorageOptions } from './local-temp-storage.js';
export { describeTempStorageLocation, openTempStorage } from './open-temp-storage.js';
export type { TempStorageLocation } from './open-temp-storage.js';
