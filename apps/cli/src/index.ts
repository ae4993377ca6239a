export { keysCommand, UsageError } from './keys.command.js';
export type { CommandResult } from './keys.command.js';
