export { openProviders, type OpenProvidersOptions } from './open-providers.js';
export { providerCatalog, providerLimits } from './provider-catalog.js';
export { circuitGuard, type CircuitChange, type CircuitGuardOptions } from './failover-guard.js';
