export { bearerTokenMatches, HoistMetrics } from './metrics.js';
export type { QueueCounts, RateLimitedForMs } from './metrics.js';
