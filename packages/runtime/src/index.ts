export { onShutdownSignal, runMain } from './lifecycle.js';
