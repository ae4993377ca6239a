import { parseArgs } from 'node:util';
import { EXIT, UsageError } from './command.js';
import type { HoistClient } from '@hoist/client';
import { connect } from './connect.js';
import { describeFailure } from './failure.js';
import { cancelCommand, retryCommand, rmCommand } from './lifecycle.command.js';
import { loginCommand, logoutCommand } from './login.command.js';
import { lsCommand } from './ls.command.js';
import { statusCommand } from './status.command.js';
import type { Terminal } from './terminal.js';
import { uploadCommand } from './upload.command.js';
import { EXIT_INTERRUPTED, type Session, type UserFlags } from './session.js';
import { resolveTarget, type ApiTarget } from './user-config.js';
import { watchCommand } from './watch.command.js';

const USER_OPTIONS = {
  help: { type: 'boolean', short: 'h', default: false },
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  wait: { type: 'boolean', default: false },
  folder: { type: 'string' },
  tags: { type: 'string' },
  'public-id': { type: 'string' },
  provider: { type: 'string' },
  concurrency: { type: 'string' },
  status: { type: 'string' },
  limit: { type: 'string' },
} as const;

type UserOption = keyof typeof USER_OPTIONS;

interface UserCommand {
  name: string;
  synopsis: string;
  summary: string;
  options: UserOption[];
  minArgs: number;
  /** Most positional arguments; Infinity for upload's inputs. */
  maxArgs: number;
  /** Runs the command, writing to the terminal; resolves with the exit code. */
  run(session: Session): Promise<number>;
}

const CONNECTION: UserOption[] = ['url', 'key'];

const USER_COMMANDS: UserCommand[] = [
  {
    name: 'upload',
    synopsis: '<file|glob|URL>… [--folder <f>] [--tags a,b] [--public-id <id>] [--provider <p>] [--wait] [--json] [--concurrency <n>]',
    summary: 'send files (globs expanded) and URLs; progress bars on a terminal, a summary at the end; large files resume when run again',
    options: ['folder', 'tags', 'public-id', 'provider', 'wait', 'json', 'concurrency', ...CONNECTION],
    minArgs: 1,
    maxArgs: Infinity,
    run: uploadCommand,
  },
  { name: 'status', synopsis: '<id> [--wait] [--json]', summary: "an upload's status (with --wait: once it is final)", options: ['wait', 'json', ...CONNECTION], minArgs: 1, maxArgs: 1, run: statusCommand },
  { name: 'ls', synopsis: '[--status <s>] [--limit <n>] [--json]', summary: 'your newest uploads (default 20)', options: ['status', 'limit', 'json', ...CONNECTION], minArgs: 0, maxArgs: 0, run: lsCommand },
  { name: 'watch', synopsis: '<id>', summary: 'one line per change of an upload until it is final (server-sent events)', options: [...CONNECTION], minArgs: 1, maxArgs: 1, run: watchCommand },
  { name: 'cancel', synopsis: '<id> [--json]', summary: 'cancel an upload that has not reached the provider', options: ['json', ...CONNECTION], minArgs: 1, maxArgs: 1, run: cancelCommand },
  { name: 'retry', synopsis: '<id> [--json]', summary: 'send a failed upload to the provider again', options: ['json', ...CONNECTION], minArgs: 1, maxArgs: 1, run: retryCommand },
  { name: 'rm', synopsis: '<id> [--json]', summary: 'delete an upload and its asset at the provider', options: ['json', ...CONNECTION], minArgs: 1, maxArgs: 1, run: rmCommand },
  { name: 'login', synopsis: '[--url <url>] [--key <key>]', summary: 'check the key against the API and save both for the commands above (asks when missing)', options: [...CONNECTION], minArgs: 0, maxArgs: 0, run: loginCommand },
  { name: 'logout', synopsis: '', summary: 'remove the saved login', options: [], minArgs: 0, maxArgs: 0, run: logoutCommand },
];

const USER_FOOTER = `
  These talk to the API over HTTP: --url/--key, else HOIST_URL/HOIST_KEY, else the login saved in
  $XDG_CONFIG_HOME/hoist/config.json (~/.config/hoist), else http://127.0.0.1:3000 without a key.
  Exit codes: 0 ok, 1 failed (an upload refused or failed, a problem from the API), 2 usage error,
  130 interrupted (Ctrl-C; run the same upload again: what the API accepted is not sent twice,
  large files resume). The saved key is sent only to the saved URL.
`;

/** The user commands' part of the usage text (`name` for one command's). */
export function userUsage(name?: string): string {
  const shown = USER_COMMANDS.filter((command) => name === undefined || command.name === name);
  const body = shown.map((command) => `  ${command.name} ${command.synopsis}`.trimEnd() + `\n      ${command.summary}\n`);
  return `${body.join('')}${USER_FOOTER}`;
}

/** Whether `argv` asks for a user command (its first word names one), which `runUserCommand` handles. */
export function isUserCommand(argv: readonly string[]): boolean {
  const first = argv.find((arg) => !arg.startsWith('-'));
  return first !== undefined && USER_COMMANDS.some((command) => command.name === first);
}

/** Runs a user command in `terminal` and resolves with its exit code; never throws. Needs no database, Redis or server settings. */
export async function runUserCommand(argv: string[], terminal: Terminal): Promise<number> {
  let command: UserCommand | undefined;
  try {
    const { values, positionals, tokens } = parseArgs({ args: argv, allowPositionals: true, strict: true, tokens: true, options: USER_OPTIONS });
    command = USER_COMMANDS.find((candidate) => candidate.name === positionals[0]);
    if (!command) throw new UsageError(`unknown command "${positionals[0] ?? ''}"`);
    if (values.help) {
      terminal.stdout.write(`usage: hoist ${command.name} ${command.synopsis}\n      ${command.summary}\n${USER_FOOTER}`);
      return EXIT.ok;
    }
    for (const token of tokens) {
      if (token.kind === 'option' && token.name !== 'help' && !(command.options as string[]).includes(token.name)) throw new UsageError(`${command.name} has no option --${token.name}`);
    }
    const args = positionals.slice(1);
    if (args.length < command.minArgs) throw new UsageError(`${command.name} needs ${command.minArgs === 1 && command.maxArgs === 1 ? 'an upload id' : 'at least one file, glob or URL'}`);
    if (args.length > command.maxArgs) throw new UsageError(`unexpected argument "${args[command.maxArgs] ?? ''}"`);
    const flags: UserFlags = {
      url: values.url,
      key: values.key,
      json: values.json,
      wait: values.wait,
      folder: values.folder,
      tags: values.tags,
      publicId: values['public-id'],
      provider: values.provider,
      concurrency: values.concurrency,
      status: values.status,
      limit: values.limit,
    };
    let target: Promise<ApiTarget> | undefined;
    let client: Promise<HoistClient> | undefined;
    const session: Session = {
      terminal,
      args,
      flags,
      target: () => (target ??= resolveTarget(flags, terminal.env)),
      client: () => (client ??= session.target().then((resolved) => connect(resolved, terminal.env))),
    };
    return await command.run(session);
  } catch (error) {
    return reportError(error, terminal, command);
  }
}

/** A usage error: the message and the command's usage on stderr, exit 2; anything else: one line on stderr, exit 1 (130 when interrupted). */
function reportError(error: unknown, terminal: Terminal, command: UserCommand | undefined): number {
  const parseError = (error as { code?: unknown }).code;
  if (error instanceof UsageError || (typeof parseError === 'string' && parseError.startsWith('ERR_PARSE_ARGS'))) {
    const usage = command ? `usage: hoist ${command.name} ${command.synopsis}\n` : userUsage();
    terminal.stderr.write(`hoist: ${(error as Error).message.split('\n')[0]}\n\n${usage}`);
    return EXIT.usage;
  }
  const failure = describeFailure(error);
  if (failure.code === 'interrupted') {
    terminal.stderr.write('hoist: interrupted\n');
    return EXIT_INTERRUPTED;
  }
  terminal.stderr.write(`hoist: ${failure.status ? `${failure.code}: ` : ''}${failure.message.split('\n')[0]}\n`);
  return EXIT.failed;
}
