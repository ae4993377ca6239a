export { openProviders, type OpenProvidersOptions } from './open-providers.js';
export { providerCatalog, providerLimits } from './provider-catalog.js';
