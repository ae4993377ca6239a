import { EXIT } from './command.js';
import { oneLine } from './table.js';
import { endedBadly } from './upload-view.js';
import type { Session } from './session.js';
import type { Upload } from '@hoist/client';

/**
 * `hoist watch <id>`: one line per change of the upload (server-sent events) until it is final; exit 1
 * when it ends failed or cancelled.
 */
export async function watchCommand({ args, terminal, client }: Session): Promise<number> {
  const hoist = await client();
  let last: Upload | undefined;
  let lastLine = '';
  for await (const upload of hoist.watch(args[0] ?? '', { signal: terminal.signal })) {
    last = upload;
    const line = watchLine(upload);
    // The stream repeats the upload on every change; a line is printed only when what it says changed.
    if (line === lastLine) continue;
    lastLine = line;
    terminal.stdout.write(`${new Date().toISOString()}  ${line}\n`);
  }
  return last && endedBadly(last) ? EXIT.failed : EXIT.ok;
}

function watchLine(upload: Upload): string {
  const detail = upload.result?.secureUrl ?? (upload.error ? oneLine(`${upload.error.code}: ${upload.error.message}`, 100) : '');
  return `${upload.id}  ${upload.status}${detail ? `  ${detail}` : ''}`;
}
