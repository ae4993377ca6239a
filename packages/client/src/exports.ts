export type { WaitOptions } from './client.js';
export { HoistApiError, HoistError, HoistNetworkError, HoistTimeoutError, HoistUsageError, type Problem, type ProblemCode } from './errors.js';
export {
  FINAL_STATUSES,
  isFinalStatus,
  type HoistClientOptions,
  type ListQuery,
  type Progress,
  type Upload,
  type UploadAccepted,
  type UploadOptions,
  type UploadPage,
  type UploadResult,
  type UploadSource,
  type UploadStatus,
} from './types.js';
export type { paths as HoistApiPaths } from './openapi-types.js';
