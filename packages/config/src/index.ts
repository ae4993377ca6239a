export { ConfigError, configuredProviders, defaultProvider, loadConfig, missingCredentials, PROVIDER_NAMES, tempStorageLocation } from './config.js';
export type { Config, EnvName, HoistEnv, ProviderName, TempStorageLocation } from './config.js';
