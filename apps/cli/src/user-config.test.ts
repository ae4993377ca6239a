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
    expect(await resolveTarget({ url: 'https://flag.example/', key: 'hoist_flag' }, withEnv)).toMatchObject({ url: 'https://flag.example', key: 'hoist_flag', urlFrom: 'flag', keyFrom: 'flag' });
    // Mixed: the URL from the flag, the key still from the environment (a given key goes with any URL).
    expect(await resolveTarget({ url: 'http://flag.example' }, withEnv)).toMatchObject({ url: 'http://flag.example', key: 'hoist_env' });
    // A given key also goes with the saved URL.
    expect(await resolveTarget({ key: 'hoist_flag' }, env)).toMatchObject({ url: 'http://saved.example:3000', key: 'hoist_flag', urlFrom: 'file', keyFrom: 'flag' });
  });

  it('sends the saved key only to the saved URL, never to another one named by --url or HOIST_URL', async () => {
    const env = { HOME: home };
    await writeLogin(env, { url: 'https://prod.example', key: 'hoist_prod' });
    expect(await resolveTarget({ url: 'http://elsewhere.example' }, env)).toEqual({ url: 'http://elsewhere.example', key: undefined, urlFrom: 'flag', keyFrom: 'none' });
    expect(await resolveTarget({}, { ...env, HOIST_URL: 'https://prod.example:8443' })).toMatchObject({ key: undefined, keyFrom: 'none' });
    expect(await resolveTarget({}, { ...env, HOIST_URL: 'http://prod.example' })).toMatchObject({ key: undefined, keyFrom: 'none' });
    // The same origin, however it is written, is the saved API: the key goes with it.
    expect(await resolveTarget({ url: 'https://PROD.example:443/' }, env)).toMatchObject({ url: 'https://prod.example', key: 'hoist_prod', urlFrom: 'flag', keyFrom: 'file' });
  });

  it('does not read the saved login when flags and environment give both URL and key', async () => {
    const env = { HOME: home };
    await mkdir(join(home, '.config', 'hoist'), { recursive: true });
    await writeFile(configFile(env), 'not json');
    expect(await resolveTarget({}, { ...env, HOIST_URL: 'http://env.example', HOIST_KEY: 'hoist_env' })).toMatchObject({ url: 'http://env.example', key: 'hoist_env' });
    expect(await resolveTarget({ url: 'http://flag.example' }, { ...env, HOIST_KEY: 'hoist_env' })).toMatchObject({ url: 'http://flag.example', key: 'hoist_env' });
    // Without a key given, the saved one might be the one to send: the broken file is an error.
    await expect(resolveTarget({ url: 'http://flag.example' }, env)).rejects.toThrow(/config\.json is not a hoist login/);
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

  it('refuses an API URL with a path (tus would lose the prefix), and never repeats the value it refuses', async () => {
    await expect(resolveTarget({ url: 'https://x.example/api' }, { HOME: home })).rejects.toThrow(/--url must be the API's origin alone, such as https:\/\/x\.example/);
    await expect(resolveTarget({ url: 'https://x.example/?a=1' }, { HOME: home })).rejects.toThrow(/origin alone/);
    // A key pasted where the URL goes.
    for (const url of ['hoist_sk_secret123', 'ftp://hoist_sk_secret123']) {
      const error = await resolveTarget({ url }, { HOME: home }).catch((caught: unknown) => caught as Error);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(/^--url /);
      expect((error as Error).message).not.toContain('secret123');
    }
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
