export { LocalTempStorage } from './local-temp-storage.js';
export type { LocalTempStorageOptions } from './local-temp-storage.js';
