import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pollUntilSettled, uploadFile } from '../support/api-client.js';
import { fixturePath } from '../support/fixtures.js';
import { repoRoot } from '../support/processes.js';
import { Stack } from '../support/stack.js';
import { KNOWN_KEY_TTL_MS } from '../../apps/api/src/known-keys.js';

const run = promisify(execFile);

describe('API keys from the CLI, end to end', () => {
  let stack: Stack;
  const hoist = (...args: string[]) =>
    run(process.execPath, [join(repoRoot, 'apps/cli/dist/main.js'), ...args], { env: { PATH: process.env.PATH ?? '', DATABASE_URL: stack.env.DATABASE_URL! } });

  beforeAll(async () => {
    stack = await Stack.start({ workerEnv: { AUTH: 'on' } });
  }, 60_000);
  afterAll(async () => {
    await stack?.stop();
  });

  it('a key created with `hoist keys create --json` uploads for its tenant until it is revoked', async () => {
    const { stdout } = await hoist('keys', 'create', '--tenant', 'acme', '--name', 'e2e', '--json');
    const created = JSON.parse(stdout) as { key: string; tenant: string; id: string };
    expect(created).toMatchObject({ tenant: 'acme', key: expect.stringMatching(/^hoist_sk_/) });
    const auth = { authorization: `Bearer ${created.key}` };

    expect((await uploadFile(stack.apiUrl, fixturePath('logo.png'))).status).toBe(401);
    const accepted = await uploadFile(stack.apiUrl, fixturePath('logo.png'), {}, auth);
    expect(accepted.status).toBe(202);
    expect((await pollUntilSettled(stack.apiUrl, accepted.body.id, 30_000, auth)).status).toBe('succeeded');

    const listed = JSON.parse((await hoist('keys', 'list', '--tenant', 'acme', '--json')).stdout) as Array<{ id: string; revokedAt: string | null }>;
    expect(listed).toEqual([expect.objectContaining({ id: created.id, revokedAt: null })]);
    await hoist('keys', 'revoke', created.id);
    // An API process trusts a key it found for KNOWN_KEY_TTL_MS from the lookup.
    await sleep(KNOWN_KEY_TTL_MS);
    expect((await uploadFile(stack.apiUrl, fixturePath('logo.png'), {}, auth)).status).toBe(401);
    // The key itself never reaches the logs of any process.
    expect(stack.processes.flatMap((process) => process.output).join('\n')).not.toContain(created.key);
  }, 60_000);

  it('exits 2 with usage on a bad invocation', async () => {
    const error = (await hoist('keys', 'create').catch((caught: unknown) => caught)) as { code: number; stderr: string };
    expect(error.code).toBe(2);
    expect(error.stderr).toMatch(/--tenant/);
  });
});
