#!/usr/bin/env node
import { processTerminal } from './terminal.js';
import { isUserCommand, runUserCommand } from './user-cli.js';

const argv = process.argv.slice(2);
let code: number;
if (isUserCommand(argv)) {
  code = await runUserCommand(argv, processTerminal());
} else {
  // The operator commands load the server's configuration, database and queue code: only when asked for.
  const { runCli } = await import('./cli.js');
  const result = await runCli(argv);
  process.stdout.write(result.stdout);
  if (result.stderr) process.stderr.write(result.stderr);
  code = result.code;
}
// Exit once the output is written, without waiting for idle keep-alive connections to time out.
await Promise.all([process.stdout, process.stderr].map((stream) => new Promise<void>((resolve) => stream.write('', () => resolve()))));
process.exit(code);
