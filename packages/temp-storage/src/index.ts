export { LocalTempStorage } from './local-temp-storage.js';
export type { LocalTempStorageOptions } from './local-temp-storage.js';
// Core's, re-exported where tests have always found it.
export { MemoryTempStorage } from '@hoist/core/memory';
