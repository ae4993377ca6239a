export { runCli, usage } from './cli.js';
export { CommandFailed, UsageError } from './command.js';
export type { CommandResult, Flags } from './command.js';
export { keysCommand } from './keys.command.js';
