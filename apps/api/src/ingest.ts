import type { AcceptUploadDeps, BacklogEstimate, JobQueue, Logger, ProviderCatalog, TempStorage, UploadRepository } from '@hoist/core';
import type { HoistMetrics } from '@hoist/metrics';
import type { IntakeRules } from './multipart-intake.js';

/** What every ingest route (multipart and URL at /v1/uploads, tus at /v1/tus) needs to take an upload in. */
export interface IngestOptions {
  uploads: UploadRepository;
  queue: JobQueue;
  storage: TempStorage;
  /** The configured providers and what each accepts, checked when an upload is accepted. */
  providers: ProviderCatalog;
  maxUploadBytes: number;
  allowedContentTypes: readonly string[];
  /** `ALLOW_ACTIVE_SVG`: accept SVGs with script or external references; default false (415 `active-svg`). */
  allowActiveSvg?: boolean | undefined;
  /** Counts accepted uploads and bytes, when given. */
  metrics?: HoistMetrics | undefined;
  /** `maxUnfinishedUploads` (`TENANT_MAX_UNFINISHED_UPLOADS`): each upload past it is refused with 429; 0 or absent: no cap. */
  limits?: { maxUnfinishedUploads: number } | undefined;
  /** The tenants' backlogs for the queue priority, shared by the process's ingest routes (see BacklogEstimate); absent: one count per upload. */
  backlog?: BacklogEstimate | undefined;
}

/** What every received file is inspected against: `MAX_UPLOAD_BYTES`, `ALLOWED_CONTENT_TYPES`, `ALLOW_ACTIVE_SVG`. */
export function intakeRules(options: IngestOptions): IntakeRules {
  return { maxBytes: options.maxUploadBytes, allowed: new Set(options.allowedContentTypes), policy: { allowActiveSvg: options.allowActiveSvg } };
}

/** The accept use cases' dependencies for one request, logging on its logger. */
export function acceptDeps(options: IngestOptions, logger: Logger): AcceptUploadDeps {
  return {
    uploads: options.uploads,
    queue: options.queue,
    storage: options.storage,
    providers: options.providers,
    logger,
    observer: options.metrics?.acceptObserver,
    maxUnfinished: options.limits?.maxUnfinishedUploads,
    backlog: options.backlog,
  };
}
