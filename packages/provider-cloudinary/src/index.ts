export { classifyCloudinaryError, parseResetTime } from './classify-error.js';
export type { ChunkRetryOptions } from './chunk-retry.js';
export { CLOUDINARY_LIMITS, CLOUDINARY_MAX_PUBLIC_ID_LENGTH, CLOUDINARY_RESOURCE_TYPES, CloudinaryProvider } from './cloudinary.provider.js';
export type { CloudinaryProviderOptions } from './cloudinary.provider.js';
export { parseCloudinaryUrl } from './cloudinary-url.js';
export type { CloudinaryCredentials } from './cloudinary-url.js';
