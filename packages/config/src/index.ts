export { ConfigError, loadConfig, tempStorageLocation } from './config.js';
export type { Config, EnvName, HoistEnv, TempStorageLocation } from './config.js';
