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
      if (process.stdout.isTTY) process.stdout.write(RESTORE_TERMINAL);
      process.exit(130);
    }
    interrupt.abort(new Interrupted(name));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  survivesClosedReader(process.stdout);
  survivesClosedReader(process.stderr);
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env, cwd: invokedFrom(process.env), signal: interrupt.signal };
}

/** What the fast exit writes to give the terminal back as it was: the cursor (the bars hide it) and line wrapping (they turn it off, ESC[?7l). */
const RESTORE_TERMINAL = '\x1b[?25h\x1b[?7h\n';

/**
 * When whatever reads `stream` goes away (`hoist upload … | head -1`), writing to it fails with EPIPE,
 * which Node raises as an error event and, unhandled, a crash with a stack trace. The command does not
 * need its reader: what it writes after that is dropped, and it finishes what it started (uploads go
 * through, the exit code still says how they went).
 */
function survivesClosedReader(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') return;
    throw error;
  });
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
