export { bearerTokenMatches, HoistMetrics } from './metrics.js';
export type { QueueGaugeSource } from './metrics.js';
