import type { ChunkProgress } from './upload-provider.js';
import type { EagerPreset, ResourceType, UploadMetadata } from './upload-options.js';

/** Where an upload is in its life. See docs/architecture.md for the transitions. */
export const UPLOAD_STATUSES = ['queued', 'processing', 'succeeded', 'failed', 'cancelled'] as const;
export type UploadStatus = (typeof UPLOAD_STATUSES)[number];

/** Statuses no worker may leave: a late or duplicate worker must not overwrite them. */
export const FINAL_STATUSES: readonly UploadStatus[] = ['succeeded', 'failed', 'cancelled'];

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
  /** Provider attempts that consumed a retry (rate-limited calls do not count). */
  attempts: number;
  /** The client's filename, sanitised for display; never used as a path. */
  filename: string;
  bytes: number;
  /** Sniffed from the bytes, never taken from the client. */
  contentType: string;
  /** Lowercase hex sha256 of the bytes as received. */
  sha256: string;
  /** Opaque key of the bytes in temp storage; only meaningful until the upload settles. */
  storageKey: string;
  /** The provider public id this upload writes to; deterministic so a retry can't create a second asset. */
  publicId: string;
  tags: string[];
  metadata: UploadMetadata | null;
  resourceType: ResourceType;
  eager: EagerPreset[];
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  result: UploadResult | null;
  error: UploadFailure | null;
  /** When the job reached the queue; null while the upload waits in the outbox (Redis was down). */
  enqueuedAt: Date | null;
  /** Progress of an unfinished chunked upload, so a later attempt can resume it. */
  chunkProgress: ChunkProgress | null;
}

/** What the API knows when it accepts an upload. */
export type NewUpload = Pick<Upload, 'id' | 'tenantId' | 'filename' | 'bytes' | 'contentType' | 'sha256' | 'storageKey' | 'publicId' | 'tags'> &
  Partial<Pick<Upload, 'metadata' | 'resourceType' | 'eager'>>;
