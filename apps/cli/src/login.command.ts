import input from '@inquirer/input';
import password from '@inquirer/password';
import { CommandFailed, EXIT } from './command.js';
import { connect } from './connect.js';
import { describeFailure } from './failure.js';
import type { Session } from './session.js';
import { apiOrigin, DEFAULT_API_URL, readLogin, removeLogin, writeLogin, configFile } from './user-config.js';

/**
 * `hoist login [--url] [--key]`: asks for what is missing when stdin is a terminal (the key without
 * echo), checks the pair with one API call, and only then saves it (0600). The key is never printed.
 * Without a terminal, what is missing comes from HOIST_URL/HOIST_KEY (or the default URL and no key).
 */
export async function loginCommand({ flags, terminal }: Session): Promise<number> {
  const { env, signal } = terminal;
  const interactive = terminal.stdin.isTTY === true;
  const saved = await readLogin(env).catch(() => undefined);
  const suggested = env['HOIST_URL'] || saved?.url || DEFAULT_API_URL;
  const url = apiOrigin(flags.url || (interactive ? await input({ message: 'Hoist API URL', default: suggested }, { signal }) : suggested));
  const key = flags.key || (interactive ? await password({ message: 'API key (empty when the API needs none)', mask: false }, { signal }) : env['HOIST_KEY']) || undefined;

  const client = await connect({ url, key, urlFrom: 'flag', keyFrom: key ? 'flag' : 'none' }, env);
  try {
    await client.list({ limit: 1 }, { signal });
  } catch (error) {
    const failure = describeFailure(error);
    if (failure.code === 'interrupted') throw error;
    if (failure.status === 401 || failure.status === 403) {
      throw new CommandFailed(key ? `the API at ${url} refused the key (${failure.code}); nothing saved` : `the API at ${url} wants an API key (--key); nothing saved`);
    }
    throw new CommandFailed(`could not check the login against ${url}: ${failure.message}; nothing saved`);
  }
  const path = await writeLogin(env, key ? { url, key } : { url });
  terminal.stdout.write(`logged in to ${url}${key ? ' with an API key' : ' without a key'}; saved to ${path}\n`);
  return EXIT.ok;
}

/** `hoist logout`: removes the saved login (HOIST_URL/HOIST_KEY, if set, still apply). */
export async function logoutCommand({ terminal }: Session): Promise<number> {
  const removed = await removeLogin(terminal.env);
  terminal.stdout.write(removed ? `removed ${configFile(terminal.env)}\n` : 'not logged in (no saved login)\n');
  return EXIT.ok;
}
