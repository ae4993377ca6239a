import type { Upload } from '@hoist/client';
import { EXIT } from './command.js';
import { describeUpload } from './upload-view.js';
import type { Session } from './session.js';
import type { HoistClient } from '@hoist/client';

/** One of the calls that change an upload, and what the CLI says it did. */
function lifecycle(call: (client: HoistClient, id: string, options: { signal: AbortSignal }) => Promise<Upload>, done: string) {
  return async ({ args, flags, terminal, client }: Session): Promise<number> => {
    const upload = await call(await client(), args[0] ?? '', { signal: terminal.signal });
    terminal.stdout.write(flags.json ? `${JSON.stringify(upload)}\n` : `${done} ${upload.id}\n${describeUpload(upload)}`);
    return EXIT.ok;
  };
}

/** `hoist cancel <id>`: cancels an upload that has not reached the provider; a problem (e.g. upload-not-cancellable) exits 1. */
export const cancelCommand = lifecycle((client, id, options) => client.cancel(id, options), 'cancelled');
/** `hoist retry <id>`: sends a failed upload to the provider again. */
export const retryCommand = lifecycle((client, id, options) => client.retry(id, options), 'retrying');
/** `hoist rm <id>`: deletes the upload and its asset at the provider. */
export const rmCommand = lifecycle((client, id, options) => client.delete(id, options), 'deleted');
