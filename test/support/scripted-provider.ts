import { MemoryUploadProvider } from '@hoist/core/memory';

/**
 * The in-memory UploadProvider (core's MemoryUploadProvider) under the name the tests' results
 * carry: answers each call with the next scripted error (`failNext`), or stores the bytes under the
 * public id (overwriting, as Cloudinary does with overwrite=true).
 */
export class ScriptedProvider extends MemoryUploadProvider {
  constructor() {
    super({ name: 'scripted' });
  }
}
