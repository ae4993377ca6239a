import { describeTempStorage } from '../conformance/temp-storage.conformance.js';
import { MemoryTempStorage } from './memory-temp-storage.js';

describeTempStorage('MemoryTempStorage', () => Promise.resolve(new MemoryTempStorage()));
