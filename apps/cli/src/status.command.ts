import { EXIT } from './command.js';
import { describeUpload, endedBadly } from './upload-view.js';
import type { Session } from './session.js';

/** `hoist status <id> [--wait]`: the upload now, or (with --wait, long-polling) once it is final, then exit 1 if it failed or was cancelled. */
export async function statusCommand({ args, flags, terminal, client }: Session): Promise<number> {
  const hoist = await client();
  const id = args[0] ?? '';
  const upload = flags.wait ? await hoist.waitFor(id, { signal: terminal.signal }) : await hoist.get(id, { signal: terminal.signal });
  terminal.stdout.write(flags.json ? `${JSON.stringify(upload)}\n` : describeUpload(upload));
  return flags.wait && endedBadly(upload) ? EXIT.failed : EXIT.ok;
}
