export { buildEmulator } from './emulator.js';
export type { EmulatorOptions } from './emulator.js';
export { cloudinaryUrlFor, ConfigError, DEFAULTS, EMULATOR_ENV_NAMES, LISTENING_MESSAGE, LOG_LEVELS, loadConfig } from './config.js';
export type { EmulatorConfig, EmulatorEnvName, LogLevel } from './config.js';
export type { ErrorFault, Fault, FaultSettings, RateLimitFault, RateLimitHint, RateLimitStyle, ResetFault, TimeoutFault } from './faults.js';
export type { SignatureAlgorithm } from './signature.js';
export type { StatsSnapshot } from './stats.js';
