#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { loadConfig } from '@hoist/config';
import { connectDatabase, KyselyApiKeyRepository } from '@hoist/db';
import { keysCommand, UsageError, type CommandResult } from './keys.command.js';

const USAGE = `usage: pnpm hoist <command> [options]

  keys create --tenant <id> [--name <name>] [--json]   create an API key (printed once)
  keys list [--tenant <id>] [--json]                   list keys
  keys revoke <id|prefix> [--json]                     revoke a key

Reads DATABASE_URL like the API and workers. Exit codes: 0 ok, 1 failed, 2 usage error.
`;

async function main(argv: string[]): Promise<CommandResult> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      tenant: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) return { code: values.help ? 0 : 2, stdout: values.help ? USAGE : '', stderr: values.help ? '' : USAGE };
  if (command !== 'keys') throw new UsageError(`unknown command "${command}"`);
  const config = loadConfig();
  const db = await connectDatabase({ url: config.DATABASE_URL, applicationName: 'hoist-cli', maxConnections: 2 });
  try {
    return await keysCommand(new KyselyApiKeyRepository(db), rest, { tenant: values.tenant, name: values.name, json: values.json });
  } finally {
    await db.destroy();
  }
}

main(process.argv.slice(2)).then(
  (result) => {
    process.stdout.write(result.stdout);
    if (result.stderr) process.stderr.write(result.stderr);
    process.exitCode = result.code;
  },
  (error: unknown) => {
    const usage = error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    process.stderr.write(`hoist: ${error instanceof Error ? error.message : String(error)}\n${usage ? `\n${USAGE}` : ''}`);
    process.exitCode = usage ? 2 : 1;
  },
);
