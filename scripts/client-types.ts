// `pnpm client:types [--check] [--from <url>]`: generates the client SDK's types
// (packages/client/src/openapi-types.ts) from the API's OpenAPI document — by default the one the
// built API prints without any service (apps/api/dist/print-openapi.js), or the one a running API
// serves at `--from http://…/openapi.json`. `--check` writes nothing and exits 1 when the file differs.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CLIENT_TYPES_PATH, renderClientTypes } from '../test/support/client-types.js';
import { repoRoot } from '../test/support/processes.js';

const { values } = parseArgs({ options: { check: { type: 'boolean', default: false }, from: { type: 'string' }, help: { type: 'boolean', short: 'h', default: false } } });
if (values.help) {
  process.stdout.write('usage: pnpm client:types [--check] [--from <url of /openapi.json>]\n');
  process.exit(0);
}

async function document(): Promise<Record<string, unknown>> {
  if (values.from) {
    const response = await fetch(values.from);
    if (!response.ok) throw new Error(`${values.from} answered ${response.status}`);
    return (await response.json()) as Record<string, unknown>;
  }
  const printed = execFileSync(process.execPath, [join(repoRoot, 'apps/api/dist/print-openapi.js')], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(printed) as Record<string, unknown>;
}

const rendered = await renderClientTypes(await document());
const current = readFileSync(CLIENT_TYPES_PATH, { encoding: 'utf8', flag: 'a+' });
if (values.check) {
  if (rendered !== current) {
    process.stderr.write(`${CLIENT_TYPES_PATH} is out of date with the API's OpenAPI document; run \`pnpm client:types\`.\n`);
    process.exit(1);
  }
  process.stdout.write('client types are up to date\n');
} else if (rendered === current) {
  process.stdout.write(`${CLIENT_TYPES_PATH}: unchanged\n`);
} else {
  writeFileSync(CLIENT_TYPES_PATH, rendered);
  process.stdout.write(`${CLIENT_TYPES_PATH}: written\n`);
}
