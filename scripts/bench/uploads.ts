// Getting uploads into a Hoist stack for a benchmark: POST distinct small files through the API and
// wait until they are final.
import { setTimeout as sleep } from 'node:timers/promises';
import type { MeasuredStack } from '../lib/measured-stack.js';
import { mapLimit } from '../lib/measured-stack.js';
import type { SmallFiles } from './small-files.js';

/** POSTs files `from`…`from+count-1` with `concurrency` at once; the ids of the accepted uploads, in order. */
export async function postSmallFiles(apiUrl: string, files: SmallFiles, { from = 0, count, concurrency = 8, headers = {}, path = '/v1/uploads' }: { from?: number; count: number; concurrency?: number; headers?: Record<string, string>; path?: string }): Promise<string[]> {
  const numbers = Array.from({ length: count }, (_, i) => from + i);
  return mapLimit(numbers, concurrency, async (n) => {
    const response = await fetch(`${apiUrl}${path}`, { method: 'POST', headers: { ...files.headers, ...headers }, body: files.multipart(n), signal: AbortSignal.timeout(30_000) });
    const body = (await response.json()) as { id?: string; detail?: string };
    if (response.status !== 202 || !body.id) throw new Error(`POST ${path} answered ${response.status}: ${body.detail ?? JSON.stringify(body)}`);
    return body.id;
  });
}

/** Waits until every id has succeeded; throws when any failed or the deadline passes. */
export async function waitForSucceeded(stack: MeasuredStack, ids: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const counts = await stack.statusCounts(ids);
    if (counts.failed) throw new Error(`${counts.failed} of ${ids.length} uploads failed`);
    if (counts.succeeded === ids.length) return;
    if (Date.now() > deadline) throw new Error(`only ${counts.succeeded} of ${ids.length} uploads succeeded in ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** Waits until the stack holds `total` uploads, all succeeded; throws when any failed or the deadline passes. */
export async function waitForAllSucceeded(stack: MeasuredStack, total: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { rows } = await stack.pool.query<{ all: number; succeeded: number; failed: number }>(
      "select count(*)::int as all, (count(*) filter (where status = 'succeeded'))::int as succeeded, (count(*) filter (where status = 'failed'))::int as failed from upload",
    );
    const counts = rows[0]!;
    if (counts.failed) throw new Error(`${counts.failed} uploads failed`);
    if (counts.all >= total && counts.succeeded === counts.all) return;
    if (Date.now() > deadline) throw new Error(`only ${counts.succeeded} of ${total} uploads succeeded in ${timeoutMs / 1000} s`);
    await sleep(100);
  }
}

/** How many uploads the stack holds. */
export async function uploadCount(stack: MeasuredStack): Promise<number> {
  const { rows } = await stack.pool.query<{ n: number }>('select count(*)::int as n from upload');
  return rows[0]!.n;
}

/** When the last upload reached its status (Postgres's clock), ms since epoch. */
export async function lastUpdate(stack: MeasuredStack): Promise<number> {
  const { rows } = await stack.pool.query<{ last: Date }>('select max(updated_at) as last from upload');
  return rows[0]!.last.getTime();
}
