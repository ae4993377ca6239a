/** A command's output and exit code; the caller writes it. */
export interface CommandResult {
  stdout: string;
  stderr?: string;
  code: number;
}

/** Exit codes, as documented in the usage text. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A bad invocation (unknown command or option, missing argument): exit 2 with usage. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** Usage text to print instead of the full one (a command's or a group's). */
    readonly usage?: string,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** The command could not do what was asked (unknown upload, unreachable service): exit 1, one line on stderr. */
export class CommandFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CommandFailed';
  }
}

/** A result that prints `value` as one line of JSON. */
export function json(value: unknown, code: number = EXIT.ok): CommandResult {
  return { code, stdout: `${JSON.stringify(value)}\n` };
}

/** Every option the CLI knows; each command accepts a subset (see cli.ts). */
export interface Flags {
  json: boolean;
  all: boolean;
  yes: boolean;
  tenant?: string | undefined;
  name?: string | undefined;
  limit?: string | undefined;
  completedOlderThan?: string | undefined;
  failedOlderThan?: string | undefined;
}
