export { classifyImageKitError } from './classify-error.js';
export type { ImageKitOperation } from './classify-error.js';
export { imageKitTarget } from './file-path.js';
export type { ImageKitTarget } from './file-path.js';
export {
  IMAGEKIT_API_BASE_URL,
  IMAGEKIT_FREE_PLAN_MAX_FILE_BYTES,
  IMAGEKIT_LIMITS,
  IMAGEKIT_MAX_PUBLIC_ID_LENGTH,
  IMAGEKIT_UPLOAD_BASE_URL,
  ImageKitProvider,
} from './imagekit.provider.js';
export type { ImageKitProviderOptions } from './imagekit.provider.js';
export { hintFromHeaders } from './rate-limit-hints.js';

