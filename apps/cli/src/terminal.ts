/** A stream the user commands write to; `isTTY` and `columns` as Node sets them on a terminal. */
export interface Output {
  write(text: string): boolean;
  isTTY?: boolean;
  columns?: number;
}

/**
 * What a user command runs in: the process's streams and environment, and a signal aborted by Ctrl-C
 * (SIGINT) or SIGTERM, so a command stops what it is doing, says so and exits 130.
 */
export interface Terminal {
  stdout: Output;
  stderr: Output;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** The working directory that relative paths and globs are read from. */
  cwd: string;
  signal: AbortSignal;
}

/** The process's own terminal; the first SIGINT or SIGTERM aborts `signal`, a second one ends the process at once. */
export function processTerminal(): Terminal {
  const interrupt = new AbortController();
  const onSignal = (name: NodeJS.Signals) => {
    if (interrupt.signal.aborted) {
      // Given up waiting for a clean stop: at least give the terminal its cursor back (the bars hide it).
      if (process.stdout.isTTY) process.stdout.write('\x1b[?25h\n');
      process.exit(130);
    }
    interrupt.abort(new Interrupted(name));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: invokedFrom(process.env), signal: interrupt.signal };
}

/** The reason of the terminal's signal: the user pressed Ctrl-C (or the process was asked to stop). */
export class Interrupted extends Error {
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted (${signalName})`);
    this.name = 'Interrupted';
  }
}

/**
 * The directory the user typed the command in: `pnpm hoist …` runs the CLI in the repository's root,
 * and says where it was started in INIT_CWD (set by npm and pnpm for package scripts).
 */
function invokedFrom(env: NodeJS.ProcessEnv): string {
  return env['npm_lifecycle_event'] && env['INIT_CWD'] ? env['INIT_CWD'] : process.cwd();
}
