export { buildWorker } from './worker.js';
export type { WorkerDeps } from './worker.js';
