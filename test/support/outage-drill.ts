import { expect } from 'vitest';
import { pollUntilSettled, postUpload, type UploadView } from './api-client.js';
import { makePng } from './fixtures.js';
import type { Stack } from './stack.js';

export interface OutageDrill {
  /** Small PNGs posted, one every `everyMs` (each awaited: accepted with 202). */
  count: number;
  everyMs: number;
  /** Just before posting the upload of this index, the emulator's Cloudinary starts answering 503 to every upload … */
  outageStartsAfter: number;
  /** … for this long, then answers again by itself. */
  outageMs: number;
  /** Files are named `<name>-<i>.png`. */
  name: string;
}

/**
 * The drills' load: `count` small distinct PNGs posted at a steady pace, with a Cloudinary outage
 * (503 to every upload) starting in the middle of them. Answers their ids, in order, and a promise
 * that resolves once the outage has ended.
 */
export async function postThroughOutage(stack: Stack, drill: OutageDrill): Promise<{ ids: string[]; outageEnded: Promise<void> }> {
  const ids: string[] = [];
  let outageEnded: Promise<void> = Promise.resolve();
  for (let i = 0; i < drill.count; i++) {
    if (i === drill.outageStartsAfter) {
      await stack.setFaults({ script: [{ kind: 'error', status: 503, count: 1_000_000 }] });
      outageEnded = new Promise((resolve) => setTimeout(resolve, drill.outageMs)).then(async () => {
        await stack.emulator('/__emulator/faults', { method: 'DELETE' });
      });
    }
    const accepted = await postUpload(stack.apiUrl, makePng(4, 4, i), `${drill.name}-${i}.png`);
    expect(accepted.status).toBe(202);
    ids.push((accepted.body as { id: string }).id);
    await new Promise((resolve) => setTimeout(resolve, drill.everyMs));
  }
  return { ids, outageEnded };
}

/** Every upload once final, in order; one that does not settle within `timeoutMs` fails with the stack's logs. */
export async function settleAll(stack: Stack, ids: readonly string[], timeoutMs: number): Promise<UploadView[]> {
  const settled: UploadView[] = [];
  for (const id of ids) {
    settled.push(
      await pollUntilSettled(stack.apiUrl, id, timeoutMs).catch((error: unknown) => {
        throw new Error(`${String(error)}\n${stack.logs()}`);
      }),
    );
  }
  return settled;
}
