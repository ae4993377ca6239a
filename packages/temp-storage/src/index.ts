export { LocalTempStorage } from './local-temp-storage.js';
export type { LocalTempStorageOptions } from './local-temp-storage.js';
export { describeTempStorageLocation, openTempStorage } from './open-temp-storage.js';
export type { TempStorageLocation } from './open-temp-storage.js';
export { openTusStore, TUS_SUBDIRECTORY } from './open-tus-store.js';
export type { TusStore } from './open-tus-store.js';
