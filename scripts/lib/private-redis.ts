// A redis-server of the script's own, so a drill can FLUSHALL without touching the machine's Redis.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort, TestProcess } from '../../test/support/processes.js';
import { onCleanup, tempDir } from './lifecycle.js';

export interface PrivateRedis {
  url: string;
  pid: number;
  stop: () => Promise<void>;
}

/**
 * A redis-server on a free loopback port, without persistence; removed at cleanup or by `stop()`.
 * Undefined when there is no redis-server binary.
 */
export async function startPrivateRedis({ logDir, binary = 'redis-server' }: { logDir: string; binary?: string }): Promise<PrivateRedis | undefined> {
  const found = await promisify(execFile)('sh', ['-c', `command -v ${binary}`]).then(
    ({ stdout }) => stdout.trim(),
    () => '',
  );
  if (!found) return undefined;
  const port = await freePort();
  const dir = await tempDir('hoist-drill-redis');
  const child = new TestProcess(
    'redis-server',
    { command: found, args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir.path] },
    {},
    { logFile: join(logDir, 'redis-server.log'), keepLines: 300 },
  );
  const stopChild = onCleanup(`stop redis-server (pid ${child.pid})`, () => child.stop(5_000));
  await child.waitForOutput(/Ready to accept connections/i, 15_000);
  return {
    url: `redis://127.0.0.1:${port}`,
    pid: child.pid,
    stop: async () => {
      await stopChild();
      await dir.remove();
    },
  };
}
