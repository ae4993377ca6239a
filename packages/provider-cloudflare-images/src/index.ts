export { classifyCloudflareError } from './classify-error.js';
export { CLOUDFLARE_API_BASE_URL, CloudflareImagesProvider } from './cloudflare-images.provider.js';
export type { CloudflareImagesProviderOptions } from './cloudflare-images.provider.js';
export { CLOUDFLARE_FORMATS, CLOUDFLARE_IMAGES_LIMITS, CLOUDFLARE_MAX_FILE_BYTES, CLOUDFLARE_MAX_METADATA_BYTES } from './cloudflare-images-limits.js';
export { CLOUDFLARE_MAX_CUSTOM_ID_LENGTH, customIdProblem } from './custom-id.js';
export { hintFromHeaders } from './rate-limit-hints.js';
