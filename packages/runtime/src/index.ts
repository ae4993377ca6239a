export { within } from './deadline.js';
export { onShutdownSignal, runMain } from './lifecycle.js';
export { startPeriodic } from './periodic.js';
export type { PeriodicTask } from './periodic.js';
