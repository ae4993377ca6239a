import { execFile, execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitFor } from './wait.js';

const run = promisify(execFile);

/** Whether tmux is installed (CI installs it with scripts/ensure-tmux.sh; tests that need it skip without). */
export function tmuxAvailable(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/**
 * A terminal a test types into and reads back, as a user sees it: a detached tmux session on a tmux
 * server of its own (its own socket file, so nothing of anyone else's tmux is touched), running a plain bash.
 */
export class TmuxTerminal {
  private constructor(
    private readonly socket: string,
    readonly width: number,
    readonly height: number,
  ) {}

  /** Starts bash in a `width`×`height` terminal with exactly `env` (plus PATH) in `cwd`. */
  static async start({ cwd, env, width = 120, height = 40 }: { cwd: string; env: Record<string, string>; width?: number; height?: number }): Promise<TmuxTerminal> {
    const socket = join(tmpdir(), `hoist-tmux-${randomBytes(4).toString('hex')}.sock`);
    const shellEnv = { PATH: process.env.PATH ?? '', HOME: env['HOME'] ?? '/tmp', LANG: 'C.UTF-8', ...env, PS1: '$ ' };
    await run('tmux', ['-S', socket, '-f', '/dev/null', 'new-session', '-d', '-s', 'test', '-x', String(width), '-y', String(height), '-c', cwd, 'bash --noprofile --norc'], { env: shellEnv });
    return new TmuxTerminal(socket, width, height);
  }

  /** Types `line` and presses Enter. */
  async type(line: string): Promise<void> {
    await run('tmux', ['-S', this.socket, 'send-keys', '-t', 'test', '-l', line]);
    await run('tmux', ['-S', this.socket, 'send-keys', '-t', 'test', 'Enter']);
  }

  /** Presses a key, in tmux's names (`C-c`). */
  async press(key: string): Promise<void> {
    await run('tmux', ['-S', this.socket, 'send-keys', '-t', 'test', key]);
  }

  /** The screen's text now, line by line, trailing blanks cut. */
  async screen(): Promise<string> {
    const { stdout } = await run('tmux', ['-S', this.socket, 'capture-pane', '-p', '-t', 'test']);
    return stdout.replace(/[ \t]+$/gm, '').trimEnd();
  }

  /** Waits until the screen matches `pattern`; resolves with the screen. */
  waitForScreen(pattern: RegExp, timeoutMs = 30_000, intervalMs = 100): Promise<string> {
    return waitFor(
      async () => {
        const text = await this.screen();
        return pattern.test(text) ? text : undefined;
      },
      { timeoutMs, intervalMs, what: `the terminal to show ${pattern}` },
    ).catch(async (error: unknown) => {
      throw new Error(`${(error as Error).message}; the screen:\n${await this.screen()}`);
    });
  }

  /** Ends the session and its tmux server (and with them whatever still runs in it). */
  async stop(): Promise<void> {
    await run('tmux', ['-S', this.socket, 'kill-server']).catch(() => undefined);
    // tmux leaves its socket file behind.
    await rm(this.socket, { force: true });
  }
}
