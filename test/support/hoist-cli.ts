import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from './processes.js';

/** The built `hoist` CLI, as an installed bin runs it. */
export const HOIST_BIN = join(repoRoot, 'apps/cli/dist/main.js');

export interface HoistRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * `hoist …` as a user runs it in a shell without a terminal (stdin, stdout and stderr are pipes), with
 * exactly `env` plus PATH: no DATABASE_URL, REDIS_URL or server settings unless the test gives them.
 */
export class HoistCli {
  readonly child: ChildProcess;
  readonly done: Promise<HoistRun>;
  stdout = '';
  stderr = '';
  private readonly watchers = new Set<() => void>();

  constructor(args: string[], { env, cwd = repoRoot }: { env: Record<string, string>; cwd?: string }) {
    this.child = spawn(process.execPath, [HOIST_BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdin?.end();
    this.child.stdout?.setEncoding('utf8').on('data', (text: string) => {
      this.stdout += text;
      for (const watcher of this.watchers) watcher();
    });
    this.child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderr += text;
      for (const watcher of this.watchers) watcher();
    });
    this.done = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves once stdout matches `pattern` (with the match), rejects after `timeoutMs` or when the CLI exits first. */
  waitForStdout(pattern: RegExp, timeoutMs = 30_000): Promise<RegExpMatchArray> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const match = this.stdout.match(pattern);
        if (!match) return;
        finish();
        resolve(match);
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`hoist did not print ${pattern} within ${timeoutMs} ms; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.watchers.delete(check);
      };
      this.watchers.add(check);
      void this.done.then(() => {
        if (!this.watchers.has(check)) return;
        finish();
        reject(new Error(`hoist exited before printing ${pattern}; stdout:\n${this.stdout}\nstderr:\n${this.stderr}`));
      });
      check();
    });
  }
}

/** Runs `hoist …` to its end (see {@link HoistCli}). */
export function runHoist(args: string[], options: { env: Record<string, string>; cwd?: string; timeoutMs?: number }): Promise<HoistRun> {
  const cli = new HoistCli(args, options);
  const timer = setTimeout(() => cli.child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return cli.done.finally(() => clearTimeout(timer));
}
