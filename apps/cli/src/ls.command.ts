import { formatBytes } from './bytes.js';
import type { UploadStatus } from '@hoist/client';
import { EXIT, UsageError } from './command.js';
import { oneLine, table } from './table.js';
import type { Session } from './session.js';

const STATUSES: readonly UploadStatus[] = ['receiving', 'queued', 'processing', 'succeeded', 'failed', 'cancelled', 'deleted'];
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;

/** `hoist ls [--status s] [--limit n]`: the newest uploads of the key's tenant, as a table (or JSON). */
export async function lsCommand({ flags, terminal, client }: Session): Promise<number> {
  const status = flags.status;
  if (status !== undefined && !(STATUSES as readonly string[]).includes(status)) throw new UsageError(`--status must be one of ${STATUSES.join(', ')}`);
  const limit = flags.limit === undefined ? DEFAULT_LIMIT : Number(flags.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}`);
  const hoist = await client();
  const { uploads } = await hoist.list({ limit, ...(status ? { status: status as UploadStatus } : {}) }, { signal: terminal.signal });
  if (flags.json) {
    terminal.stdout.write(`${JSON.stringify(uploads)}\n`);
    return EXIT.ok;
  }
  if (uploads.length === 0) {
    terminal.stdout.write(status ? `no ${status} uploads\n` : 'no uploads\n');
    return EXIT.ok;
  }
  const rows = uploads.map((upload) => [
    upload.id,
    upload.status,
    oneLine(upload.filename, 40),
    upload.bytes === null ? '' : formatBytes(upload.bytes),
    upload.createdAt ?? '',
    upload.result?.secureUrl ?? (upload.error ? oneLine(`${upload.error.code}: ${upload.error.message}`, 60) : ''),
  ]);
  terminal.stdout.write(table(['ID', 'STATUS', 'FILE', 'BYTES', 'CREATED', 'URL / ERROR'], rows));
  return EXIT.ok;
}
