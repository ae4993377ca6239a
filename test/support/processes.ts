import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { closeSync, createWriteStream, existsSync, fstatSync, openSync, readSync, type WriteStream } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** A free TCP port on 127.0.0.1 (asked of the OS, then released for the child to take). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** What to run: a node script of this repository (path from the root), or any program. */
export type Program = string | { script: string; nodeArgs?: string[] } | { command: string; args: string[] };

export interface ProcessOptions {
  /** Also append every line of output to this file (the drills keep their processes' logs). */
  logFile?: string;
  /** Keep only the last this many lines in `output` (default: all of them). */
  keepLines?: number;
  /**
   * With `logFile`: the process writes its output straight into the file (as under a log driver),
   * not through a pipe this process reads, so a busy process's logging costs this one nothing (the
   * benchmarks, whose load generator shares this event loop). `waitForOutput` then reads the file's
   * new lines while it waits; `onLine` is not called.
   */
  direct?: boolean;
  /** Called with every line of output as it arrives, and which stream it came on (e.g. to echo it). */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
}

/** Children still running, so a script's exit hook can SIGKILL whatever it started. */
const live = new Set<ChildProcess>();

/** SIGKILLs every child started through TestProcess that is still running: the last resort on exit. */
export function killAllProcesses(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

interface Waiter {
  pattern: RegExp;
  resolve: (line: string) => void;
  reject: (error: Error) => void;
}

/**
 * A child process (an e2e test's, a drill's), with its output kept for waits, assertions and failure
 * reports. Its environment is exactly `env` plus PATH and LOG_LEVEL=info: nothing else is inherited
 * (no NODE_OPTIONS), as in production.
 */
export class TestProcess {
  readonly output: string[] = [];
  readonly exited: Promise<ExitInfo>;
  readonly startedAt = Date.now();
  readonly logFile: string | undefined;
  /** How it exited; undefined while it runs. */
  exitInfo: ExitInfo | undefined;
  /** True once it was stopped or killed on purpose: its exit is then no crash. */
  stopping = false;
  private readonly child: ChildProcess;
  private readonly log: WriteStream | undefined;
  private readonly waiters = new Set<Waiter>();
  /** Direct mode: how far the log file has been read, and the unfinished last line. */
  private readOffset = 0;
  private readPartial = '';
  private poller: NodeJS.Timeout | undefined;

  constructor(
    readonly name: string,
    program: Program,
    env: Record<string, string>,
    private readonly options: ProcessOptions = {},
  ) {
    const [command, args] = commandOf(program);
    this.logFile = options.logFile;
    const directFd = options.direct && options.logFile ? openSync(options.logFile, 'a') : undefined;
    if (directFd !== undefined) this.readOffset = fstatSync(directFd).size;
    this.log = options.logFile && directFd === undefined ? createWriteStream(options.logFile, { flags: 'a' }) : undefined;
    try {
      this.child = spawn(command, args, {
        cwd: repoRoot,
        env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'info', ...env },
        stdio: directFd === undefined ? ['ignore', 'pipe', 'pipe'] : ['ignore', directFd, directFd],
      });
    } finally {
      // The child has its own copy of the descriptor.
      if (directFd !== undefined) closeSync(directFd);
    }
    live.add(this.child);
    let settle: (exit: ExitInfo) => void = () => undefined;
    this.exited = new Promise((resolve) => (settle = resolve));
    const finish = (exit: ExitInfo) => {
      if (this.exitInfo) return;
      live.delete(this.child);
      this.exitInfo = exit;
      this.readNewLines();
      this.stopPolling();
      for (const waiter of this.waiters) waiter.reject(new Error(`${name} exited (code ${exit.code}, signal ${exit.signal}) before printing ${waiter.pattern}:\n${this.tail()}`));
      this.waiters.clear();
      settle(exit);
    };
    this.child.once('exit', (code, signal) => finish({ code, signal }));
    this.child.once('error', (error) => {
      this.line(`[spawn error] ${error.message}`, 'stderr');
      // A program that could not be started never exits: it is over now.
      if (this.child.pid === undefined) finish({ code: null, signal: null });
    });
    for (const [name, stream] of [
      ['stdout', this.child.stdout],
      ['stderr', this.child.stderr],
    ] as const) {
      let partial = '';
      stream?.setEncoding('utf8');
      stream?.on('data', (text: string) => {
        this.log?.write(text);
        const lines = (partial + text).split('\n');
        partial = lines.pop() ?? '';
        for (const line of lines) if (line) this.line(line, name);
      });
    }
  }

  private line(line: string, stream: 'stdout' | 'stderr'): void {
    this.output.push(line);
    if (this.options.keepLines !== undefined && this.output.length > this.options.keepLines) this.output.shift();
    this.options.onLine?.(line, stream);
    for (const waiter of this.waiters) if (waiter.pattern.test(line)) waiter.resolve(line);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.exitInfo === undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Resolves with the first line (printed so far or later) matching `pattern`; rejects if the process exits first or time runs out. */
  waitForOutput(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    this.readNewLines();
    const seen = this.output.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    if (!this.running) return Promise.reject(new Error(`${this.name} exited before printing ${pattern}:\n${this.tail()}`));
    return new Promise((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (!this.waiters.size) this.stopPolling();
      };
      const waiter: Waiter = {
        pattern,
        resolve: (line) => (done(), resolve(line)),
        reject: (error) => (done(), reject(error)),
      };
      const timer = setTimeout(() => waiter.reject(new Error(`${this.name} did not print ${pattern} within ${timeoutMs} ms:\n${this.tail()}`)), timeoutMs);
      this.waiters.add(waiter);
      if (this.options.direct && this.logFile) this.poller ??= setInterval(() => this.readNewLines(), 50);
    });
  }

  /** Direct mode: takes in the lines the process has written to its log file since the last look. */
  private readNewLines(): void {
    if (!this.options.direct || !this.logFile) return;
    const fd = openSync(this.logFile, 'r');
    try {
      const size = fstatSync(fd).size;
      if (size <= this.readOffset) return;
      const buffer = Buffer.alloc(size - this.readOffset);
      readSync(fd, buffer, 0, buffer.length, this.readOffset);
      this.readOffset = size;
      const lines = (this.readPartial + buffer.toString('utf8')).split('\n');
      this.readPartial = lines.pop() ?? '';
      for (const line of lines) if (line) this.line(line, 'stdout');
    } finally {
      closeSync(fd);
    }
  }

  private stopPolling(): void {
    clearInterval(this.poller);
    this.poller = undefined;
  }

  /** SIGTERM, then SIGKILL after `graceMs`. Resolves with how it exited, once its log file is complete. */
  async stop(graceMs = 10_000): Promise<ExitInfo> {
    this.stopping = true;
    if (this.running) {
      this.child.kill('SIGTERM');
      const timer = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(timer);
    }
    const exit = await this.exited;
    await this.closeLog();
    return exit;
  }

  /** Sends `signal`; one that ends the process (not SIGSTOP/SIGCONT) counts as on purpose, not as a crash. */
  kill(signal: NodeJS.Signals): void {
    if (signal !== 'SIGSTOP' && signal !== 'SIGCONT') this.stopping = true;
    if (this.running) this.child.kill(signal);
  }

  /** Resolves once everything written to the log file so far is on disk. */
  flushLog(): Promise<void> {
    const log = this.log;
    if (!log || log.closed || log.destroyed) return Promise.resolve();
    return new Promise((resolve) => log.write('', () => resolve()));
  }

  private async closeLog(): Promise<void> {
    if (this.log && !this.log.closed && !this.log.destroyed) {
      this.log.end();
      await once(this.log, 'close').catch(() => undefined);
    }
  }

  tail(lines = 30, width = 400): string {
    this.readNewLines();
    return this.output
      .slice(-lines)
      .map((line) => (line.length > width ? `${line.slice(0, width)}…` : line))
      .join('\n');
  }
}

function commandOf(program: Program): [string, string[]] {
  if (typeof program !== 'string' && 'command' in program) return [program.command, program.args];
  const { script, nodeArgs = [] } = typeof program === 'string' ? { script: program } : program;
  const path = join(repoRoot, script);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`pnpm build\` first`);
  return [process.execPath, [...nodeArgs, path]];
}
