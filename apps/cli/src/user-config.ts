import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { CommandFailed, UsageError } from './command.js';

/** Where the API is when nothing says otherwise: `pnpm start`'s API on this machine. */
export const DEFAULT_API_URL = 'http://127.0.0.1:3000';

/** What `hoist login` saves and the user commands read: the API's origin and, when it wants one, an API key. */
export interface SavedLogin {
  url: string;
  key?: string;
}

/** The API a user command talks to, and where each part came from (for messages; never the key itself). */
export interface ApiTarget {
  url: string;
  key: string | undefined;
  urlFrom: 'flag' | 'env' | 'file' | 'default';
  keyFrom: 'flag' | 'env' | 'file' | 'none';
}

/**
 * The CLI's own directory: `$XDG_CONFIG_HOME/hoist`, else `~/.config/hoist`. It holds config.json
 * (`hoist login`) and resume.json (unfinished resumable uploads, kept by the client).
 */
export function configDir(env: NodeJS.ProcessEnv): string {
  const xdg = env['XDG_CONFIG_HOME'];
  return join(xdg && xdg.startsWith('/') ? xdg : join(env['HOME'] || homedir(), '.config'), 'hoist');
}

export const configFile = (env: NodeJS.ProcessEnv) => join(configDir(env), 'config.json');
export const resumeFile = (env: NodeJS.ProcessEnv) => join(configDir(env), 'resume.json');

/** The saved login, or undefined when there is none; a file that is not what `hoist login` writes is an error naming it. */
export async function readLogin(env: NodeJS.ProcessEnv): Promise<SavedLogin | undefined> {
  const path = configFile(env);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CommandFailed(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'object' && parsed !== null) {
      const { url, key } = parsed as Record<string, unknown>;
      if (typeof url === 'string' && (key === undefined || typeof key === 'string')) return key ? { url, key } : { url };
    }
  } catch {
    // reported below
  }
  throw new CommandFailed(`${path} is not a hoist login (expected {"url": "…", "key": "…"}); run hoist login again`);
}

/**
 * Saves the login so only its owner can read it: the directory 0700, the file 0600 (written beside
 * it and renamed, so no moment exists where the key is in a file anyone else could open).
 */
export async function writeLogin(env: NodeJS.ProcessEnv, login: SavedLogin): Promise<string> {
  const dir = configDir(env);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const path = configFile(env);
  const partial = `${path}.${process.pid}.tmp`;
  await writeFile(partial, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600 });
  await chmod(partial, 0o600);
  await rename(partial, path);
  return path;
}

/** Removes the saved login; false when there was none. */
export async function removeLogin(env: NodeJS.ProcessEnv): Promise<boolean> {
  const path = configFile(env);
  try {
    await rm(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/**
 * The one precedence rule of the user commands, per setting: `--url`/`--key`, then HOIST_URL/HOIST_KEY,
 * then the saved login, then the default URL (and no key). An empty value counts as not given.
 * The saved key belongs to the saved URL: it is sent only when the URL in effect is the saved one (same
 * origin), so `--url`/HOIST_URL pointing elsewhere never carries a saved production key to another server.
 * A key from `--key`/HOIST_KEY goes with whatever URL is in effect. When flags and environment give both
 * URL and key, the saved login is not read at all (a broken config.json does not stand in the way).
 */
export async function resolveTarget(flags: { url?: string | undefined; key?: string | undefined }, env: NodeJS.ProcessEnv): Promise<ApiTarget> {
  const given = (value: string | undefined) => (value === undefined || value === '' ? undefined : value);
  const [givenUrl, givenUrlFrom] = given(flags.url) ? [given(flags.url), 'flag' as const] : given(env['HOIST_URL']) ? [given(env['HOIST_URL']), 'env' as const] : [undefined, undefined];
  const [givenKey, givenKeyFrom] = given(flags.key) ? [given(flags.key), 'flag' as const] : given(env['HOIST_KEY']) ? [given(env['HOIST_KEY']), 'env' as const] : [undefined, undefined];
  const url = givenUrl !== undefined && givenUrlFrom ? apiOrigin(givenUrl, givenUrlFrom) : undefined;
  const saved = url !== undefined && givenKey !== undefined ? undefined : await readLogin(env);
  const savedUrl = saved ? apiOrigin(saved.url, 'file') : undefined;
  const [finalUrl, urlFrom] = url !== undefined && givenUrlFrom ? [url, givenUrlFrom] : savedUrl !== undefined ? [savedUrl, 'file' as const] : [DEFAULT_API_URL, 'default' as const];
  const savedKey = saved?.key && savedUrl === finalUrl ? saved.key : undefined;
  const [key, keyFrom] = givenKey !== undefined && givenKeyFrom ? [givenKey, givenKeyFrom] : savedKey ? [savedKey, 'file' as const] : [undefined, 'none' as const];
  return { url: finalUrl, key, urlFrom, keyFrom };
}

/**
 * `url` checked to be an http(s) URL at the root of its host, as its origin. A path is refused: the
 * API's routes (and tus's upload URLs) are absolute, so a prefix such as /api would be lost on the way.
 * The value itself is never repeated in a message (a key pasted into --url would be printed).
 */
export function apiOrigin(url: string, from: ApiTarget['urlFrom'] = 'flag'): string {
  const where = { flag: '--url', env: 'HOIST_URL', file: 'the saved login', default: 'the default' }[from];
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`${where} is not a URL (expected e.g. https://hoist.example.com)`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new UsageError(`${where} must be an http:// or https:// URL`);
  if (parsed.username || parsed.password) throw new UsageError(`${where} must not hold credentials; give the key with --key or HOIST_KEY`);
  if (parsed.pathname.replace(/\/+$/, '') !== '' || parsed.search || parsed.hash) {
    throw new UsageError(`${where} must be the API's origin alone, such as ${parsed.origin} (an API under a path such as /api is not supported)`);
  }
  return parsed.origin;
}
