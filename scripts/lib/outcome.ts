// What a drill or benchmark compares at the end: what clients were promised (accepted uploads) with
// what happened (final statuses, the provider's assets).
import { setTimeout as sleep } from 'node:timers/promises';
import type { UploadView } from '../../test/support/api-client.js';

/** An upload the API answered 202 for, with the MD5 of the bytes sent. */
export interface Accepted {
  id: string;
  md5: string;
}

/** An asset as the emulator lists it. */
export interface EmulatorAsset {
  public_id: string;
  etag: string;
  writes: number;
}

/** An upload as GET /v1/uploads/:id shows it, or as read from Postgres when the API no longer answers. */
export type SeenUpload = Pick<UploadView, 'id'> &
  Partial<Pick<UploadView, 'attempts' | 'reclaims' | 'result' | 'error'>> & { status: UploadView['status'] | 'no row'; source: 'api' | 'postgres' };

export interface Outcome {
  accepted: number;
  succeeded: number;
  failed: number;
  /** Accepted, but not final when the run ended. */
  lost: number;
  statuses: Record<string, number>;
  failures: Record<string, number>;
  /** Uploads with more than one asset. */
  duplicateUploads: number;
  /** Assets beyond one per upload. */
  extraAssets: number;
  /** Assets written more than once (same public id). */
  reuploadedAssets: number;
  extraWrites: number;
  /** Succeeded, but the provider has no asset. */
  missingAssets: number;
  /** The provider's bytes differ from what the client sent. */
  corruptAssets: number;
  /** Assets of no accepted upload. */
  strayAssets: number;
  examples: Record<'lost' | 'failed' | 'duplicate' | 'missing' | 'corrupt' | 'stray', string[]>;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

export function assess({ accepted, views, assets }: { accepted: Accepted[]; views: Map<string, SeenUpload>; assets: EmulatorAsset[] }): Outcome {
  const byId = new Map(accepted.map((upload) => [upload.id, upload]));
  const assetsByUpload = new Map<string, EmulatorAsset[]>();
  const stray: string[] = [];
  for (const asset of assets) {
    const id = UUID.exec(asset.public_id)?.[0].toLowerCase();
    if (!id || !byId.has(id)) {
      stray.push(asset.public_id);
      continue;
    }
    assetsByUpload.set(id, [...(assetsByUpload.get(id) ?? []), asset]);
  }

  const outcome: Outcome = {
    accepted: accepted.length,
    succeeded: 0,
    failed: 0,
    lost: 0,
    statuses: {},
    failures: {},
    duplicateUploads: 0,
    extraAssets: 0,
    reuploadedAssets: 0,
    extraWrites: 0,
    missingAssets: 0,
    corruptAssets: 0,
    strayAssets: stray.length,
    examples: { lost: [], failed: [], duplicate: [], missing: [], corrupt: [], stray: stray.slice(0, 3) },
  };
  const example = (kind: keyof Outcome['examples'], text: string) => {
    if (outcome.examples[kind].length < 3) outcome.examples[kind].push(text);
  };
  for (const upload of accepted) {
    const view = views.get(upload.id);
    const status = view?.status ?? 'unknown';
    outcome.statuses[status] = (outcome.statuses[status] ?? 0) + 1;
    const found = assetsByUpload.get(upload.id) ?? [];
    if (status === 'succeeded') {
      outcome.succeeded += 1;
      const expected = view?.result?.publicId ?? upload.id;
      const asset = found.find((a) => a.public_id === expected);
      if (!asset) {
        outcome.missingAssets += 1;
        example('missing', upload.id);
      } else if (upload.md5 && asset.etag !== upload.md5) {
        outcome.corruptAssets += 1;
        example('corrupt', upload.id);
      }
    } else if (status === 'failed') {
      outcome.failed += 1;
      const code = view?.error?.code ?? 'unknown';
      outcome.failures[code] = (outcome.failures[code] ?? 0) + 1;
      example('failed', `${upload.id} ${code}: ${view?.error?.message ?? ''} (attempts ${view?.attempts})`);
    } else {
      outcome.lost += 1;
      example('lost', `${upload.id} ${status} (attempts ${view?.attempts ?? '?'})`);
    }
    if (found.length > 1) {
      outcome.duplicateUploads += 1;
      outcome.extraAssets += found.length - 1;
      example('duplicate', `${upload.id}: ${found.map((a) => a.public_id).join(', ')}`);
    }
    for (const asset of found) {
      if (asset.writes > 1) {
        outcome.reuploadedAssets += 1;
        outcome.extraWrites += asset.writes - 1;
      }
    }
  }
  return outcome;
}

/** The examples of an outcome, one line each, for a report. */
export function exampleLines(outcome: Outcome): string[] {
  const { examples } = outcome;
  return [
    ...examples.failed.map((e) => `failed: ${e}`),
    ...examples.lost.map((e) => `lost: ${e}`),
    ...examples.duplicate.map((e) => `duplicate: ${e}`),
    ...examples.missing.map((e) => `succeeded without asset: ${e}`),
    ...examples.corrupt.map((e) => `asset bytes differ: ${e}`),
    ...examples.stray.map((e) => `stray asset: ${e}`),
  ];
}

export type StatusCounts = Record<'queued' | 'processing' | 'succeeded' | 'failed' | 'missing', number>;

/** Polls until every id is final (succeeded or failed) or the deadline; calls `onTick` each round. */
export async function waitForSettled(
  stack: { statusCounts(ids: string[]): Promise<StatusCounts> },
  ids: string[],
  { deadline, signal, everyMs = 250, onTick }: { deadline: number; signal?: AbortSignal; everyMs?: number; onTick?: (counts: StatusCounts) => void },
): Promise<{ settled: boolean; counts: StatusCounts | undefined }> {
  let counts: StatusCounts | undefined;
  for (;;) {
    counts = await stack.statusCounts(ids).catch(() => counts);
    if (counts) onTick?.(counts);
    if (counts && counts.succeeded + counts.failed === ids.length) return { settled: true, counts };
    if (Date.now() >= deadline || signal?.aborted) return { settled: false, counts };
    await sleep(everyMs);
  }
}
