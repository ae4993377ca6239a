export { ConfigError, loadConfig } from './config.js';
export type { Config, EnvName, HoistEnv } from './config.js';
