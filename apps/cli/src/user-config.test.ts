import { mkdtemp, readFile, rm, stat, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { configFile, DEFAULT_API_URL, readLogin, removeLogin, resolveTarget, writeLogin } from './user-config.js';

let home: string;
beforeEach(async () => {
  home = await mkdtemp(join(tmpdir(), 'hoist-cli-config-'));
});
afterEach(async () => {
  await rm(home, { recursive: true, force: true });
});

describe('resolveTarget', () => {
  it('takes each setting from the flag, else the environment, else the saved login, else the default', async () => {
    const env = { HOME: home };
    expect(await resolveTarget({}, env)).toEqual({ url: DEFAULT_API_URL, key: undefined, urlFrom: 'default', keyFrom: 'none' });
    await writeLogin(env, { url: 'http://saved.example:3000', key: 'hoist_saved' });
    expect(await resolveTarget({}, env)).toMatchObject({ url: 'http://saved.example:3000', key: 'hoist_saved', urlFrom: 'file', keyFrom: 'file' });
    const withEnv = { ...env, HOIST_URL: 'http://env.example/', HOIST_KEY: 'hoist_env' };
    expect(await resolveTarget({}, withEnv)).toMatchObject({ url: 'http://env.example', key: 'hoist_env', urlFrom: 'env', keyFrom: 'env' });
    expect(await resolveTarget({ url: 'https://flag.example/api/', key: 'hoist_flag' }, withEnv)).toMatchObject({ url: 'https://flag.example/api', key: 'hoist_flag', urlFrom: 'flag', keyFrom: 'flag' });
    // Mixed: the URL from the flag, the key still from the environment.
    expect(await resolveTarget({ url: 'http://flag.example' }, withEnv)).toMatchObject({ url: 'http://flag.example', key: 'hoist_env' });
  });

  it('reads the login from $XDG_CONFIG_HOME/hoist when it is set', async () => {
    const env = { HOME: join(home, 'elsewhere'), XDG_CONFIG_HOME: join(home, 'xdg') };
    const path = await writeLogin(env, { url: 'http://xdg.example' });
    expect(path).toBe(join(home, 'xdg', 'hoist', 'config.json'));
    expect(await resolveTarget({}, env)).toMatchObject({ url: 'http://xdg.example', urlFrom: 'file' });
  });

  it('refuses a URL that is not http(s) or carries credentials, naming where it came from', async () => {
    await expect(resolveTarget({ url: 'ftp://x' }, { HOME: home })).rejects.toThrow(/--url must be an http/);
    await expect(resolveTarget({}, { HOME: home, HOIST_URL: 'not a url' })).rejects.toThrow(/HOIST_URL is not a URL/);
    await expect(resolveTarget({ url: 'http://me:secret@x' }, { HOME: home })).rejects.toThrow(/must not hold credentials/);
  });

  it('says which file is broken when the saved login is not one', async () => {
    const env = { HOME: home };
    await mkdir(join(home, '.config', 'hoist'), { recursive: true });
    await writeFile(configFile(env), '{"url": 42}');
    await expect(readLogin(env)).rejects.toThrow(/config\.json is not a hoist login/);
  });
});

describe('writeLogin', () => {
  it('writes the file 0600 in a 0700 directory, even over a more open one, and removeLogin removes it', async () => {
    const env = { HOME: home };
    await mkdir(join(home, '.config', 'hoist'), { recursive: true, mode: 0o755 });
    const path = await writeLogin(env, { url: 'http://a.example', key: 'hoist_secret' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect((await stat(join(home, '.config', 'hoist'))).mode & 0o777).toBe(0o700);
    expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({ url: 'http://a.example', key: 'hoist_secret' });
    expect(await removeLogin(env)).toBe(true);
    expect(await removeLogin(env)).toBe(false);
    expect(await readLogin(env)).toBeUndefined();
  });
});
