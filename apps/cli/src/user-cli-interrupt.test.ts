import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Interrupted, type Terminal } from './terminal.js';
import { runUserCommand } from './user-cli.js';

// An API that takes every request and never answers: only Ctrl-C ends a command waiting on it.
let server: Server;
let url: string;
let home: string;
const waiting = new Set<IncomingMessage>();
beforeAll(async () => {
  server = createServer((request) => void waiting.add(request)).listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  home = await mkdtemp(join(tmpdir(), 'hoist-cli-interrupt-'));
});
afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await rm(home, { recursive: true, force: true });
});

/** Runs the command against the silent API, presses Ctrl-C once its request arrived, and says how it ended and how soon. */
async function interrupt(argv: string[]): Promise<{ code: number; stderr: string; afterCtrlC: number }> {
  const controller = new AbortController();
  let stderr = '';
  const terminal: Terminal = {
    stdout: { write: () => true },
    stderr: { write: (text) => ((stderr += text), true) },
    stdin: new PassThrough(),
    env: { HOME: home, HOIST_URL: url },
    cwd: home,
    signal: controller.signal,
  };
  const before = waiting.size;
  const running = runUserCommand(argv, terminal);
  while (waiting.size === before) await new Promise((resolve) => setTimeout(resolve, 20));
  const pressed = Date.now();
  controller.abort(new Interrupted('SIGINT'));
  const code = await running;
  return { code, stderr, afterCtrlC: Date.now() - pressed };
}

describe('one Ctrl-C', () => {
  // Each of these waited for the client's timeout and retries (tens of seconds) before the fix.
  it.each([['ls'], ['status', 'u1'], ['cancel', 'u1'], ['retry', 'u1'], ['rm', 'u1'], ['login', '--url', 'URL', '--key', 'hoist_k']])('stops %s at once: exit 130, "interrupted"', async (...argv) => {
    const result = await interrupt(argv.map((arg) => (arg === 'URL' ? url : arg)));
    expect(result).toMatchObject({ code: 130, stderr: 'hoist: interrupted\n' });
    expect(result.afterCtrlC).toBeLessThan(2_000);
  });
});
