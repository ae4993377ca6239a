import { randomBytes } from 'node:crypto';
import { describeUploadRepository } from '../conformance/upload.repository.conformance.js';
import { MemoryUploadRepository } from './memory-upload.repository.js';

describeUploadRepository('MemoryUploadRepository', () =>
  Promise.resolve({ uploads: new MemoryUploadRepository(), newTenant: () => Promise.resolve(`t-${randomBytes(4).toString('hex')}`) }),
);
