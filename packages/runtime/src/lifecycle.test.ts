import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

// A process stopped while it starts (e.g. a deployment rolled back at once) exits as a signal would
// stop it, but through process.exit, so the log lines still buffered (how far start-up got) are written.

const runtime = JSON.stringify(new URL('../dist/index.js', import.meta.url).href);
const logger = JSON.stringify(new URL('../../logger/dist/index.js', import.meta.url).href);

describe('runMain', () => {
  it('exits on SIGTERM during start-up with its buffered log lines written', () => {
    const script = `
      import { runMain } from ${runtime};
      import { createLogger } from ${logger};
      const log = createLogger({ name: 'startup-test', level: 'info', format: 'json' });
      runMain('startup-test', log, async () => {
        log.info('connecting to the database');
        process.kill(process.pid, 'SIGTERM');
        // Start-up waits on something (a connection being made): the process stays up.
        await new Promise(() => setInterval(() => undefined, 1_000));
      });
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 10_000, cwd: fileURLToPath(new URL('..', import.meta.url)) });
    expect(child.status).toBe(143);
    expect(child.stdout).toContain('connecting to the database');
  });
});
