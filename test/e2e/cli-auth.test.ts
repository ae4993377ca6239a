import { copyFile, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixturePath } from '../support/fixtures.js';
import { runHoist } from '../support/hoist-cli.js';
import { Stack } from '../support/stack.js';

// `hoist login` and the user commands against an API with AUTH=on, with a key made by the operator
// command `hoist keys create`.

describe('hoist user commands with API keys', () => {
  let stack: Stack;
  let dir: string;
  let key: string;
  const hoist = (args: string[], env: Record<string, string>) => runHoist(args, { env: { HOME: join(dir, 'home'), ...env }, cwd: dir });

  beforeAll(async () => {
    stack = await Stack.start({ workerEnv: { AUTH: 'on' } });
    dir = await mkdtemp(join(tmpdir(), 'hoist-cli-auth-'));
    await copyFile(fixturePath('logo.png'), join(dir, 'logo.png'));
    const created = await runHoist(['keys', 'create', '--tenant', 'acme', '--name', 'cli', '--json'], { env: { DATABASE_URL: stack.env.DATABASE_URL! } });
    expect(created.code).toBe(0);
    key = (JSON.parse(created.stdout) as { key: string }).key;
  }, 90_000);
  afterAll(async () => {
    await stack?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('login refuses a wrong key and saves a good one (0600, never printed); the commands then use it', async () => {
    const wrong = await hoist(['login', '--url', stack.apiUrl, '--key', 'hoist_sk_wrong'], {});
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/refused the key .*nothing saved/);
    const file = join(dir, 'home', '.config', 'hoist', 'config.json');
    await expect(stat(file)).rejects.toThrow();

    // Without a key at all: the API says it wants one.
    const keyless = await hoist(['upload', 'logo.png', '--json'], { HOIST_URL: stack.apiUrl });
    expect(keyless.code).toBe(1);
    expect(JSON.parse(keyless.stdout)).toMatchObject({ uploads: [{ status: 'refused', error: { code: 'unauthorized' } }] });

    const login = await hoist(['login', '--url', stack.apiUrl, '--key', key], {});
    expect(login.code).toBe(0);
    expect(login.stdout + login.stderr).not.toContain(key);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ url: stack.apiUrl, key });

    const upload = await hoist(['upload', 'logo.png', '--wait', '--json'], {});
    expect(upload.code).toBe(0);
    expect(JSON.parse(upload.stdout)).toMatchObject({ ok: true, uploads: [{ status: 'succeeded' }] });
    const listed = await hoist(['ls', '--json'], {});
    expect(JSON.parse(listed.stdout)).toHaveLength(1);

    // HOIST_KEY beats the saved key: a wrong one is refused with the API's problem on stderr.
    const overridden = await hoist(['ls'], { HOIST_KEY: 'hoist_sk_wrong' });
    expect(overridden.code).toBe(1);
    expect(overridden.stderr).toMatch(/^hoist: unauthorized: /);
    expect(overridden.stderr).not.toContain(key);

    // The saved key goes only to the saved API: the same server under another origin (localhost for
    // 127.0.0.1) is another API as far as the key is concerned, so nothing is sent and it is refused.
    const elsewhere = stack.apiUrl.replace('127.0.0.1', 'localhost');
    expect(elsewhere).not.toBe(stack.apiUrl);
    const other = await hoist(['ls', '--url', elsewhere], {});
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/^hoist: unauthorized: /);
    // With the key given for it, that URL is fine.
    expect((await hoist(['ls', '--url', elsewhere], { HOIST_KEY: key })).code).toBe(0);
  }, 60_000);
});
