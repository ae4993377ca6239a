export { LocalTempStorage } from './local-temp-storage.js';
export type { LocalTempStorageOptions } from './local-temp-storage.js';
export { MemoryTempStorage } from './memory-temp-storage.js';
