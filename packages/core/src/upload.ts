import type { ChunkProgress } from './chunk-progress.js';
import type { EagerPreset, ResourceType, UploadMetadata } from './upload-options.js';

/** Where an upload is in its life. See docs/architecture.md for the transitions. */
export const UPLOAD_STATUSES = ['receiving', 'queued', 'processing', 'succeeded', 'failed', 'cancelled', 'deleted'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

/**
 * Statuses no worker may leave: a late or duplicate worker must not overwrite them. Only a client or
 * operator moves an upload out of one (`failed` → `queued` by a retry; any of them → `deleted`). The
 * webhook trigger of migration 0009 names the same four; migrations are frozen, so a change here
 * needs a migration there too.
 */
export const FINAL_STATUSES: readonly UploadStatus[] = ['succeeded', 'failed', 'cancelled', 'deleted'];
export type FinalStatus = Exclude<UploadStatus, OpenStatus>;

/**
 * Statuses of uploads whose job is (or should be) in the queue: what workers claim and the
 * reconciler checks against the queue.
 */
export const UNFINISHED_STATUSES = ['queued', 'processing'] as const satisfies readonly UploadStatus[];
export type UnfinishedStatus = (typeof UNFINISHED_STATUSES)[number];

/**
 * Statuses of uploads that hold a place in their tenant's backlog: the unfinished ones and
 * `receiving` (a tus upload whose bytes still arrive: it holds disk, and becomes `queued`). What
 * `TENANT_MAX_UNFINISHED_UPLOADS` counts and fair share weighs.
 */
export const OPEN_STATUSES = ['receiving', ...UNFINISHED_STATUSES] as const satisfies readonly UploadStatus[];
export type OpenStatus = (typeof OPEN_STATUSES)[number];

/** True for {@link FINAL_STATUSES}. */
export function isFinal(status: UploadStatus): status is FinalStatus {
  return FINAL_STATUSES.includes(status);
}

/** True for {@link OPEN_STATUSES}. */
export function isOpen(status: UploadStatus): status is OpenStatus {
  return (OPEN_STATUSES as readonly UploadStatus[]).includes(status);
}

/** True for {@link UNFINISHED_STATUSES}. */
export function isUnfinished(status: UploadStatus): status is UnfinishedStatus {
  return (UNFINISHED_STATUSES as readonly UploadStatus[]).includes(status);
}

/** What the provider stored, as Hoist reports it to clients. */
export interface UploadResult {
  /** Provider name, e.g. `cloudinary`. */
  provider: string;
  publicId: string;
  url: string;
  secureUrl: string;
  format: string | null;
  /** Pixels; null for assets without dimensions (pdf, raw). */
  width: number | null;
  height: number | null;
  /** Size the provider reports, in bytes. */
  bytes: number;
  /** Provider's version of the asset (Cloudinary: unix seconds of the last write). */
  version: number | null;
  /** The provider's resource type (Cloudinary: image, video, raw); needed to delete the asset. Absent on results stored before it was recorded. */
  resourceType?: string | null;
  /**
   * The provider's own id of the asset, when it has one apart from the public id (ImageKit's
   * `fileId`, Cloudflare's image id, Cloudinary's `asset_id`); a provider that deletes by it needs it.
   */
  assetId?: string | null;
  /**
   * Named delivery URLs the provider offers beyond `secureUrl`: Cloudflare's variants by name,
   * and `transform`, a URL template whose `{transformation}` a client replaces with the provider's
   * transformation string (Cloudinary `w_200,c_fill`, ImageKit `w-200,h-200`).
   */
  deliveryUrls?: Record<string, string> | null;
  /** With `PROVIDER_MIRROR`: the copies on the mirror provider (none when it failed and only the primary was required). */
  mirrors?: UploadResult[] | null;
}

/** Why an upload ended `failed`. `code` is stable and machine-readable; `message` is for humans. */
export interface UploadFailure {
  code: string;
  message: string;
}

/** One upload as stored in the source of truth. */
export interface Upload {
  id: string;
  /** Owner; a tenant never sees another tenant's uploads. */
  tenantId: string;
  status: UploadStatus;
  /** Provider attempts that consumed a retry (rate-limited calls and runs cut short by a dying worker do not count). */
  attempts: number;
  /**
   * Times a claim found the upload still `processing`: the worker running it died (or lost its job
   * lock) and another picked it up. Bounded by `MAX_RECLAIMS` apart from `attempts`.
   */
  reclaimCount: number;
  /** The client's filename, sanitised for display; never used as a path. */
  filename: string;
  /** Null only for a URL upload whose URL has not been fetched yet, and while `receiving` (as are the next three). */
  bytes: number | null;
  /** Sniffed from the bytes, never taken from the client. */
  contentType: string | null;
  /** Lowercase hex sha256 of the bytes as received. */
  sha256: string | null;
  /** Opaque key of the bytes in temp storage; only meaningful until the upload settles. */
  storageKey: string | null;
  /** For uploads from a URL: where the bytes come from (fetched by a worker). */
  sourceUrl: string | null;
  /** The provider public id this upload writes to; deterministic so a retry can't create a second asset. */
  publicId: string;
  /** The provider it was sent to (`cloudinary`, `imagekit`, `cloudflare`), chosen when it was accepted; `result.provider` says where it landed. */
  provider: string;
  tags: string[];
  metadata: UploadMetadata | null;
  resourceType: ResourceType;
  eager: EagerPreset[];
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  /** When the provider asset was deleted on request (status `deleted`). */
  deletedAt: Date | null;
  /** How many times the upload was sent back to the queue after failing (POST …/retry, `hoist queue retry`). */
  retryCount: number;
  result: UploadResult | null;
  error: UploadFailure | null;
  /** When the job reached the queue; null while the upload waits in the outbox (Redis was down). */
  enqueuedAt: Date | null;
  /** Progress of an unfinished chunked upload, so a later attempt can resume it. */
  chunkProgress: ChunkProgress | null;
}

/**
 * One run of an upload, as a worker's claim made it: the fencing token proves the run still owns
 * the upload. Every outcome a run records (requeue, succeeded, failed, progress) names its run and
 * is refused once another claim has taken the upload over.
 */
export interface UploadRun {
  id: string;
  /** New on every claim; opaque. */
  claimToken: string;
}

/** An upload as a claim returned it: `processing`, owned by the run with this token. */
export interface ClaimedUpload extends Upload, UploadRun {}

/** What the API knows when it accepts an upload. */
export type NewUpload = Pick<Upload, 'id' | 'tenantId' | 'filename' | 'publicId' | 'provider' | 'tags'> &
  Partial<Pick<Upload, 'metadata' | 'resourceType' | 'eager'>> &
  ((FetchedBytes & { sourceUrl?: undefined }) | { sourceUrl: string });

/** What the API knows when a tus upload is created, before any byte of it. */
export type NewReceivingUpload = Pick<Upload, 'id' | 'tenantId' | 'filename' | 'publicId' | 'provider' | 'tags'> & Partial<Pick<Upload, 'metadata' | 'resourceType' | 'eager'>>;

/** What a worker learns by fetching a URL upload's source. */
export interface FetchedBytes {
  bytes: number;
  contentType: string;
  sha256: string;
  storageKey: string;
}
