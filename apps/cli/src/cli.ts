import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '@hoist/config';
import { UnknownQueueError } from '@hoist/queue';
import { CommandFailed, EXIT, UsageError, type CommandResult, type Flags } from './command.js';
import { CliContext } from './context.js';
import { keysCommand } from './keys.command.js';
import { queueClean, queueCounts, queueFailed, queuePause, queueResume } from './queue.command.js';
import { queueDrain } from './queue-drain.command.js';
import { queueRetry } from './queue-retry.command.js';
import { reconcileCommand } from './reconcile.command.js';
import { tenantsProvider } from './tenants.command.js';
import { uploadsShow } from './uploads.command.js';
import { userUsage } from './user-cli.js';

const OPTIONS = {
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
  all: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  tenant: { type: 'string' },
  name: { type: 'string' },
  limit: { type: 'string' },
  'completed-older-than': { type: 'string' },
  'failed-older-than': { type: 'string' },
} as const;

type OptionName = keyof typeof OPTIONS;

interface Command {
  /** Words that select it, e.g. `queue counts`. */
  name: string;
  /** Arguments and options, as printed in the usage text. */
  synopsis: string;
  summary: string;
  /** Options it accepts besides --help; any other is a usage error. */
  options: OptionName[];
  /** Most positional arguments after its name. */
  maxArgs: number;
  run(ctx: CliContext, args: string[], flags: Flags): Promise<CommandResult>;
}

const keys = (action: string) => (ctx: CliContext, args: string[], flags: Flags) => ctx.apiKeys().then((apiKeys) => keysCommand(apiKeys, [action, ...args], flags));

const COMMANDS: Command[] = [
  { name: 'keys create', synopsis: '--tenant <id> [--name <name>] [--json]', summary: 'create an API key (printed once)', options: ['tenant', 'name', 'json'], maxArgs: 0, run: keys('create') },
  { name: 'keys list', synopsis: '[--tenant <id>] [--json]', summary: 'list API keys', options: ['tenant', 'json'], maxArgs: 0, run: keys('list') },
  { name: 'keys revoke', synopsis: '<id|prefix> [--json]', summary: 'revoke an API key', options: ['json'], maxArgs: 1, run: keys('revoke') },
  {
    name: 'tenants provider',
    synopsis: '<tenant> <cloudinary|imagekit|cloudflare|default> [--json]',
    summary: "the provider a tenant's uploads go to when they name none (default: the deployment's)",
    options: ['json'],
    maxArgs: 2,
    run: (ctx, args, flags) => ctx.apiKeys().then((apiKeys) => tenantsProvider(apiKeys, ctx.config, args, flags)),
  },
  {
    name: 'queue counts',
    synopsis: '[--json]',
    summary: 'jobs per state in every queue, and whether it is paused or rate limited',
    options: ['json'],
    maxArgs: 0,
    run: queueCounts,
  },
  {
    name: 'queue failed',
    synopsis: '[--limit <n>] [--json]',
    summary: 'newest failed jobs (default 20) with tenant, upload status, attempts and reason',
    options: ['limit', 'json'],
    maxArgs: 0,
    run: queueFailed,
  },
  {
    name: 'queue retry',
    synopsis: '<uploadId> | --all [--json]',
    summary: 'send a failed upload (or every upload in `queue failed`) back to the queue',
    options: ['all', 'json'],
    maxArgs: 1,
    run: queueRetry,
  },
  { name: 'queue pause', synopsis: '[queue] [--json]', summary: 'stop workers on every host taking jobs (default queue: uploads)', options: ['json'], maxArgs: 1, run: queuePause },
  { name: 'queue resume', synopsis: '[queue] [--json]', summary: 'let workers take jobs again', options: ['json'], maxArgs: 1, run: queueResume },
  {
    name: 'queue drain',
    synopsis: '--yes [--tenant <id>] [--json]',
    summary: 'cancel every queued upload (job removed, row cancelled, bytes deleted)',
    options: ['yes', 'tenant', 'json'],
    maxArgs: 0,
    run: queueDrain,
  },
  {
    name: 'queue clean',
    synopsis: '[queue] --completed-older-than <duration> [--failed-older-than <duration>] [--json]',
    summary: 'remove finished jobs older than that from Redis (Postgres keeps the uploads)',
    options: ['completed-older-than', 'failed-older-than', 'json'],
    maxArgs: 1,
    run: queueClean,
  },
  { name: 'uploads show', synopsis: '<uploadId> [--json]', summary: 'Postgres row, BullMQ job and attempts log of one upload', options: ['json'], maxArgs: 1, run: uploadsShow },
  { name: 'reconcile', synopsis: '[--json]', summary: 'run the reconciler once now and print what it did', options: ['json'], maxArgs: 0, run: reconcileCommand },
];

const FOOTER = `
  These read DATABASE_URL, REDIS_URL, QUEUE_PREFIX, UPLOAD_TMP_DIR (and the other settings) like the
  API and workers. Durations: 30s, 15m, 1h, 7d. Exit codes: 0 ok, 1 failed (one line on stderr), 2 usage error.
`;

/** Usage of every command whose name starts with `prefix` ('' for all: the user commands first, then the operator commands). */
export function usage(prefix = ''): string {
  const shown = COMMANDS.filter((command) => command.name === prefix || command.name.startsWith(prefix ? `${prefix} ` : ''));
  const body = shown.map((command) => `  ${command.name} ${command.synopsis}\n      ${command.summary}\n`);
  const header = 'usage: pnpm hoist <command> [options]   (installed: hoist <command> [options])\n\n';
  if (prefix) return `${header}${body.join('')}${FOOTER}`;
  return `${header}Commands for users of the API:\n\n${userUsage()}\nOperator commands (on a host with the deployment's settings):\n\n${body.join('')}${FOOTER}`;
}

/** Runs one invocation and returns what to print and the exit code; never throws. */
export async function runCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CommandResult> {
  try {
    return await dispatch(argv, env);
  } catch (error) {
    return failure(error);
  }
}

async function dispatch(argv: string[], env: NodeJS.ProcessEnv): Promise<CommandResult> {
  const { values, positionals, tokens } = parseArgs({ args: argv, allowPositionals: true, strict: true, tokens: true, options: OPTIONS });
  const command = COMMANDS.find((candidate) => {
    const words = candidate.name.split(' ');
    return words.every((word, i) => positionals[i] === word);
  });
  if (!command) {
    const group = positionals[0];
    const known = group !== undefined && COMMANDS.some((candidate) => candidate.name.startsWith(`${group} `));
    if (values.help) return { code: EXIT.ok, stdout: usage(known ? group : '') };
    if (group === undefined) throw new UsageError('no command given');
    if (known) throw new UsageError(positionals[1] === undefined ? `${group} needs a command` : `unknown ${group} command "${positionals[1]}"`, usage(group));
    throw new UsageError(`unknown command "${group}"`);
  }
  if (values.help) return { code: EXIT.ok, stdout: usage(command.name) };
  for (const token of tokens) {
    if (token.kind === 'option' && token.name !== 'help' && !command.options.includes(token.name)) {
      throw new UsageError(`${command.name} has no option --${token.name}`, usage(command.name));
    }
  }
  const flags: Flags = {
    json: values.json,
    all: values.all,
    yes: values.yes,
    tenant: values.tenant,
    name: values.name,
    limit: values.limit,
    completedOlderThan: values['completed-older-than'],
    failedOlderThan: values['failed-older-than'],
  };
  const args = positionals.slice(command.name.split(' ').length);
  if (args.length > command.maxArgs) throw new UsageError(`unexpected argument "${args[command.maxArgs] ?? ''}"`, usage(command.name));
  const ctx = new CliContext(loadConfig(env));
  try {
    return await command.run(ctx, args, flags);
  } catch (error) {
    // Usage text for the command that was misused rather than for all of them.
    if (error instanceof UsageError && !error.usage) throw new UsageError(error.message, usage(command.name));
    throw error;
  } finally {
    await ctx.close();
  }
}

function failure(error: unknown): CommandResult {
  const parseError = (error as { code?: unknown }).code;
  if (error instanceof UsageError || error instanceof UnknownQueueError || (typeof parseError === 'string' && parseError.startsWith('ERR_PARSE_ARGS'))) {
    const text = error instanceof UsageError && error.usage ? error.usage : usage();
    return { code: EXIT.usage, stdout: '', stderr: `hoist: ${redact(firstLine(error))}\n\n${text}` };
  }
  if (error instanceof ConfigError) return { code: EXIT.failed, stdout: '', stderr: `hoist: invalid configuration: ${redact(error.problems.join('; '))}\n` };
  // CommandFailed says what went wrong in words; anything else is an unreachable service or a bug,
  // reported by its message alone (no stack trace) for the operator to act on.
  const message = error instanceof CommandFailed || error instanceof Error ? firstLine(error) : String(error);
  return { code: EXIT.failed, stdout: '', stderr: `hoist: ${redact(message)}\n` };
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

/** Connection strings in error messages lose their credentials: `scheme://user:secret@host` → `scheme://***@host`. */
function redact(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^\s/@]*@/gi, '$1***@');
}
