export { bearerTokenMatches, HoistMetrics } from './metrics.js';
export type { QueueCounts } from './metrics.js';
