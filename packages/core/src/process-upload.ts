import {
  PermanentProviderError,
  ProviderError,
  RateLimitedError,
  RetryableProviderError,
  SourceFetchError,
  StoreUnavailableError,
  TempObjectChangedError,
  TempObjectMissingError,
  TempStorageUnavailableError,
} from './errors.js';
import { assetOf, assetResourceType, destroyStrayCopies, destroyUnlessHeldElsewhere, type LocatedAsset } from './delete-upload.js';
import { FetchSlotsBusyError, watchWithdrawal } from './fetch-slots.js';
import { ATTEMPTS_EXHAUSTED, RECLAIMS_EXHAUSTED } from './failure-codes.js';
import { keepsBytesForRetry } from './retention.js';
import type { SourceFetcher } from './source-fetcher.js';
import type { Logger } from './logger.js';
import type { ProcessObserver, ProviderCallOutcome } from './observer.js';
import { UNTHROTTLED, type ProviderThrottle } from './provider-throttle.js';
import { sizeChecked } from './size-checked.js';
import type { RateLimitHint } from './rate-limit-hint.js';
import { SILENT_EVENTS, type UploadEvents, type UploadStatusEvent } from './upload-events.js';
import type { Readable } from 'node:stream';
import type { ByteRange, TempStorage } from './temp-storage.js';
import type { ClaimedUpload, FetchedBytes, Upload, UploadFailure, UploadResult } from './upload.js';
import type { ProviderUploadRequest } from './upload-provider.js';
import { ProviderNotConfiguredError, type ProviderRoster, type RosterEntry } from './provider-roster.js';
import type { UploadRepository } from './upload.repository.js';
import { UPLOAD_LOG_MESSAGES } from './upload-log.js';

export interface ProcessUploadDeps {
  uploads: UploadRepository;
  storage: TempStorage;
  /** The providers this worker can call, each with its cluster-wide throttle; an upload goes to the one it names. */
  providers: ProviderRoster;
  logger: Logger;
  /** Where final statuses are announced (long-poll waiters); default: nowhere. */
  events?: UploadEvents;
  /** Measurements (metrics); default: none. */
  observer?: ProcessObserver;
  /** Fetches URL uploads' sources; without one, URL uploads fail with `url_fetch_unavailable`. */
  fetcher?: SourceFetcher;
  /**
   * Keep the bytes of uploads that ran out of attempts, for a later retry (the reconciler removes
   * them after `FAILED_UPLOAD_RETENTION_MS`); default true. False deletes them at once.
   */
  retainFailedBytes?: boolean;
  /**
   * Re-claims (a worker died or lost its job lock while running the upload, and another took it
   * over) after which the upload fails with `reclaims_exhausted` instead of running again; default
   * {@link DEFAULT_MAX_RECLAIMS}. Bounds an upload that kills every worker that runs it.
   */
  maxReclaims?: number;
}

/** Default of {@link ProcessUploadDeps.maxReclaims} (`MAX_RECLAIMS`). */
export const DEFAULT_MAX_RECLAIMS = 5;

export interface ProcessUploadJob {
  uploadId: string;
  /** True when a retryable failure now must end the upload `failed` instead of retrying. */
  isFinalAttempt: boolean;
  /** The queue's id for this run, for logs (one grep follows an upload from API to worker). */
  jobId?: string | undefined;
  /** The claim token of this job's previous run, if that run stopped because the database was unreachable (see `claim`). */
  resuming?: string | undefined;
  /** Told this run's claim token, so the queue can hand it to the next run if this one stops for the database. */
  onClaimed?: ((claimToken: string) => void) | undefined;
}

/** The upload was cancelled (or deleted) while a worker was running it. */
class UploadWithdrawnError extends Error {
  constructor() {
    super('The upload was cancelled while it was running.');
    this.name = 'UploadWithdrawnError';
  }
}

/** How one run ended when it did not throw. */
export type ProcessOutcome =
  | { kind: 'succeeded' }
  /** Unknown upload, or already final: a duplicate or late job, nothing to do. */
  | { kind: 'skipped' }
  /** Failed for good and recorded so; the job must not be retried. */
  | { kind: 'failed'; failure: UploadFailure; error: Error };

/**
 * One attempt at one upload: claim it, send the bytes, record the outcome, clean up.
 *
 * Idempotent end to end: the claim is guarded, the provider call targets a deterministic public id,
 * and final states are never overwritten, so running the job twice has the effect of running it once.
 *
 * @throws RateLimitedError (the upload is back to `queued` with its attempt refunded: pause and retry)
 * @throws RetryableProviderError (back to `queued`, attempt spent: retry with backoff)
 * @throws StoreUnavailableError (DB down): the upload stays claimed; the job's next run resumes it (`resuming`).
 * @throws anything unexpected: back to `queued`, attempt spent, and the job is retried.
 */
export async function processUpload(deps: ProcessUploadDeps, job: ProcessUploadJob): Promise<ProcessOutcome> {
  const claimed = await deps.uploads.claim(job.uploadId, { resuming: job.resuming });
  if (!claimed) {
    await cleanUpAfterCancel(deps, job.uploadId);
    return { kind: 'skipped' };
  }
  job.onClaimed?.(claimed.claimToken);
  let upload = claimed;
  const log = deps.logger.child({ uploadId: upload.id, tenantId: upload.tenantId, jobId: job.jobId ?? upload.id, attempt: upload.attempts });
  const maxReclaims = deps.maxReclaims ?? DEFAULT_MAX_RECLAIMS;
  if (upload.reclaimCount > maxReclaims) return giveUpAfterReclaims(deps, upload, maxReclaims, log);
  if (upload.reclaimCount > 0) log.warn({ reclaims: upload.reclaimCount }, UPLOAD_LOG_MESSAGES.takenOver);
  // Assigned once the provider is known; a failure before that (no such provider here) taught no throttle anything.
  let throttle: ProviderThrottle = UNTHROTTLED;

  let callStarted: number | undefined;
  // The provider the last call went to (the failover's secondary, when the upload's own is failing).
  let called = upload.provider;
  // The newest thing the provider's answers said about its limit: taught to the throttle with the success.
  let hint: RateLimitHint | undefined;
  // The mirror's copy of this attempt, when there is a mirror (see copyToMirror).
  let mirrored: Promise<MirrorOutcome> | undefined;
  try {
    // Known before anything is fetched: a worker without the provider's credentials hands the upload back at once.
    deps.providers.require(upload.provider);
    const bytes = await ensureBytes(deps, upload, log);
    upload = { ...upload, ...bytes };
    await checkUnchanged(deps, bytes);
    const request: ProviderUploadRequest = {
      uploadId: upload.id,
      publicId: upload.publicId,
      filename: upload.filename,
      contentType: bytes.contentType,
      bytes: bytes.bytes,
      tags: upload.tags,
      metadata: upload.metadata,
      resourceType: upload.resourceType,
      eager: upload.eager,
      // Every read is checked against the size it must have (sizeChecked): the object may change
      // after the check above (the throttle can wait, a resend opens it again later), and a
      // truncated or grown file must fail the upload, not send a prefix. A read that reaches the
      // accepted end asks for one byte more, to see growth. An explicit range also lets a stream
      // that knows where it ends read a small file in one buffer of about its size, where an
      // open-ended one allocates a full read-ahead buffer.
      open: (range) => openChecked(deps.storage, bytes.storageKey, bytes.bytes, range),
      resume: upload.chunkProgress ?? undefined,
      onProgress: async (progress) => {
        // Between chunks is where a cancellation (or a takeover by another run) can stop a large upload early.
        if (!(await deps.uploads.saveChunkProgress(upload, progress))) throw new UploadWithdrawnError();
      },
      onRateLimitHint: (said) => {
        hint = said;
      },
    };
    const { primary, fallback, mirror } = deps.providers.plan(upload);
    const send = async (entry: RosterEntry): Promise<UploadResult> => {
      throttle = entry.throttle;
      called = entry.provider.name;
      callStarted = undefined;
      await throttle.acquire();
      // The mirror's copy goes beside the call, with its own throttle (it never rejects) — only once
      // the call may go: during the provider's pause, an attempt sends no copy either.
      if (mirror && !mirrored) mirrored = copyToMirror(deps, mirror.entry, request);
      callStarted = performance.now();
      return entry.provider.upload(request);
    };
    let result: UploadResult;
    try {
      if (fallback) {
        // While the upload's provider is failing (its circuit open), the attempt goes to the secondary.
        const first = await fallback.guard.attempt(() => send(primary));
        if (!first.ran) log.warn({ provider: primary.provider.name, failover: fallback.entry.provider.name }, UPLOAD_LOG_MESSAGES.failedOver);
        result = first.ran ? first.value : await send(fallback.entry);
      } else {
        result = await send(primary);
      }
    } finally {
      // Whatever the primary did, the mirror's call is over before the attempt is (no call outlives it).
      await mirrored;
    }
    observeCall(deps, 'success', callStarted, called);
    if (mirror && mirrored) {
      const copy: MirrorOutcome = await mirrored;
      if (copy.ok) {
        result = { ...result, mirrors: [copy.result] };
      } else if (mirror.require === 'primary') {
        log.warn({ err: copy.error, mirror: mirror.entry.provider.name }, 'the mirror copy failed; the upload is on its provider only (PROVIDER_MIRROR_REQUIRE=primary)');
        result = { ...result, mirrors: [] };
      } else {
        // Both copies are required: the attempt fails as the mirror did. The mirror's throttle has
        // already heard of it; the next attempt replaces the primary's copy, so it stays one.
        await throttle.succeeded(hint).catch(() => undefined);
        [called, callStarted] = [mirror.entry.provider.name, undefined];
        if (copy.error instanceof PermanentProviderError) await removeCopy(deps, upload, result, log);
        throw copy.error;
      }
    }
    // Told at once, alongside recording the outcome: the throttle measures what the provider admits
    // by when successes arrive, and a success it hears of late makes it underestimate. Best effort:
    // it must never cost a finished upload an attempt.
    const learned = throttle.succeeded(hint).catch((error: unknown) => log.warn({ err: error }, 'could not record the success with the throttle'));
    const recorded = await deps.uploads.markSucceeded(upload, result).finally(() => learned);
    if (!recorded) {
      await undoLateUpload(deps, upload.id, [result, ...(result.mirrors ?? [])].map((stored) => located(stored, upload)), log);
      return withdrawn(deps, upload, log);
    }
    await announce(deps, { uploadId: upload.id, status: 'succeeded' }, log);
    // An earlier attempt of this upload may have stored where this one did not land (a failover).
    if (upload.attempts > 1 || upload.reclaimCount > 0 || upload.retryCount > 0 || job.resuming !== undefined) void destroyStrayCopies(deps, { ...upload, result }, log);
    // Deleted only after the outcome is recorded: if recording fails the job retries and needs the bytes.
    // The upload has succeeded: a store failing now leaves an orphan for the sweeper, nothing more.
    await deps.storage.delete(bytes.storageKey).catch((error: unknown) => log.warn({ err: error, storageKey: bytes.storageKey }, 'could not delete the bytes of a succeeded upload; the reconciler sweeps them later'));
    log.info({ publicId: result.publicId }, UPLOAD_LOG_MESSAGES.succeeded);
    return { kind: 'succeeded' };
  } catch (error) {
    if (error instanceof ProviderError) observeCall(deps, callOutcome(error), callStarted, called);
    // A copy the mirror stored in an attempt that did not succeed: the upload is gone (withdrawn) or
    // failed for good below; a retry would replace it instead.
    const strayMirror = mirrored ? await mirrored.then((copy) => (copy.ok ? copy.result : undefined)) : undefined;
    if (error instanceof UploadWithdrawnError) {
      if (strayMirror) await undoLateUpload(deps, upload.id, [located(strayMirror, upload)], log);
      return withdrawn(deps, upload, log);
    }
    if (error instanceof ProviderNotConfiguredError) {
      // A configuration out of step (this worker lacks credentials the API chose by): not the
      // upload's fault, so no attempt is spent; the queue puts it back for a worker that has them.
      if (!(await deps.uploads.requeue(upload, { refundAttempt: true }))) return withdrawn(deps, upload, log);
      log.error({ provider: error.provider }, error.message);
      throw error;
    }
    if (error instanceof FetchSlotsBusyError) {
      // Waiting for a fetch slot is not an attempt: back to the queue with it refunded.
      if (!(await deps.uploads.requeue(upload, { refundAttempt: true }))) return withdrawn(deps, upload, log);
      deps.observer?.fetchDeferred?.();
      throw error;
    }
    if (error instanceof RateLimitedError) {
      // Only the provider's own refusals teach the throttle: one it raised itself (a pause or an
      // exhausted window it is already holding everyone for) is no news, and must not cut the pace.
      const resumeAt =
        callStarted === undefined
          ? undefined
          : await throttle.limited(error.hint).catch((cause: unknown) => {
              log.warn({ err: cause }, 'could not record the rate limit with the throttle');
              return undefined;
            });
      if (!(await deps.uploads.requeue(upload, { refundAttempt: true }))) return withdrawn(deps, upload, log);
      log.warn({ resetAt: error.resetAt?.toISOString() }, 'provider rate limited; attempt not counted');
      // The provider named no reset, but the cluster's throttle chose a pause: the queue waits as long.
      if (error.resetAt === undefined && resumeAt !== undefined) {
        throw new RateLimitedError(error.message, { status: error.status, hint: { ...error.hint, resetAt: resumeAt }, cause: error });
      }
      throw error;
    }
    if (isRetryable(error) && !job.isFinalAttempt) {
      if (!(await deps.uploads.requeue(upload, { refundAttempt: false }))) return withdrawn(deps, upload, log);
      log.warn(
        { err: error },
        error instanceof SourceFetchError
          ? 'fetching the source failed; will retry'
          : error instanceof TempStorageUnavailableError
            ? 'temp storage unavailable; will retry'
            : UPLOAD_LOG_MESSAGES.providerCallRetried,
      );
      throw error;
    }
    const failure = toFailure(error, job.isFinalAttempt);
    if (!failure) {
      // A bug or a broken disk is an attempt like a provider error, not a dead worker: released, so
      // the next claim counts an attempt (and MAX_ATTEMPTS ends it), not a re-claim. An unreachable
      // database can release nothing; the job's next run resumes this one instead.
      if (!(error instanceof StoreUnavailableError)) await deps.uploads.requeue(upload, { refundAttempt: false }).catch(() => undefined);
      throw error;
    }
    if (!(await deps.uploads.markFailed(upload, failure))) return withdrawn(deps, upload, log);
    if (strayMirror) await removeCopy(deps, upload, strayMirror, log);
    await announce(deps, { uploadId: upload.id, status: 'failed' }, log);
    // Bytes of an upload that only ran out of attempts stay for a while, so it can be retried after an outage.
    if (upload.storageKey && !keepsBytesForRetry(failure, deps.retainFailedBytes)) await deps.storage.delete(upload.storageKey);
    log.error({ err: error, code: failure.code }, 'upload failed');
    return { kind: 'failed', failure, error: error as Error };
  }
}

/**
 * Workers kept dying (or losing their lock) while running this upload: it may be what kills them.
 * It ends `failed` with `reclaims_exhausted` instead of taking down one more worker; its bytes are
 * kept for a retry like those of an upload that ran out of attempts.
 */
async function giveUpAfterReclaims(deps: ProcessUploadDeps, upload: ClaimedUpload, maxReclaims: number, log: Logger): Promise<ProcessOutcome> {
  const failure: UploadFailure = {
    code: RECLAIMS_EXHAUSTED,
    message: `Gave up: the worker running this upload stopped (crashed, was killed or lost its job lock) ${upload.reclaimCount} times, more than MAX_RECLAIMS (${maxReclaims}); the upload itself may be what stops them.`,
  };
  if (!(await deps.uploads.markFailed(upload, failure))) return withdrawn(deps, upload, log);
  await announce(deps, { uploadId: upload.id, status: 'failed' }, log);
  if (upload.storageKey && !keepsBytesForRetry(failure, deps.retainFailedBytes)) await deps.storage.delete(upload.storageKey);
  log.error({ code: failure.code, reclaims: upload.reclaimCount }, 'upload failed: its workers kept stopping');
  return { kind: 'failed', failure, error: new Error(failure.message) };
}

/**
 * This run no longer owns the upload: it left `processing`, or another run claimed it (this worker's
 * job lock lapsed). Cancelled (or deleted): stop without retrying and free its bytes. Anything else
 * (another run owns it now, or failed or finished it meanwhile): stop, and leave the bytes to that
 * run or to whoever recorded the outcome — a failed upload keeps them for a retry.
 */
async function withdrawn(deps: ProcessUploadDeps, upload: Upload, log: Logger): Promise<ProcessOutcome> {
  const current = await deps.uploads.find(upload.id);
  if (current?.status === 'cancelled' || current?.status === 'deleted') {
    if (upload.storageKey) await deps.storage.delete(upload.storageKey);
    log.info({}, `upload ${current.status} while running; stopped`);
  } else {
    log.warn({ status: current?.status }, UPLOAD_LOG_MESSAGES.noLongerOwned);
  }
  return { kind: 'skipped' };
}

/**
 * The mirror's copy (`PROVIDER_MIRROR`): the same request to the mirror, with its own throttle and
 * rate-limit hints, and neither the primary's chunk progress nor its resume (those are the primary's
 * session). Reports to the mirror's throttle and the metrics itself; never rejects.
 */
/** How the mirror's copy of one attempt ended. */
type MirrorOutcome = { ok: true; result: UploadResult } | { ok: false; error: unknown };

async function copyToMirror(deps: ProcessUploadDeps, entry: RosterEntry, request: ProviderUploadRequest): Promise<MirrorOutcome> {
  let said: RateLimitHint | undefined;
  let started: number | undefined;
  try {
    await entry.throttle.acquire();
    started = performance.now();
    const result = await entry.provider.upload({ ...request, resume: undefined, onProgress: undefined, onRateLimitHint: (hint) => (said = hint) });
    observeCall(deps, 'success', started, entry.provider.name);
    await entry.throttle.succeeded(said).catch(() => undefined);
    return { ok: true, result };
  } catch (error) {
    if (error instanceof ProviderError) observeCall(deps, callOutcome(error), started, entry.provider.name);
    if (error instanceof RateLimitedError && started !== undefined) await entry.throttle.limited(error.hint).catch(() => undefined);
    return { ok: false, error };
  }
}

/** Where a stored copy is, as destroy takes it. */
function located(stored: UploadResult, upload: Upload): LocatedAsset {
  return { provider: stored.provider, publicId: stored.publicId, resourceType: stored.resourceType ?? assetResourceType(upload), assetId: stored.assetId };
}

/** A copy of an upload that failed for good (its mirror or its primary refused it): removed, best effort. */
async function removeCopy(deps: ProcessUploadDeps, upload: Upload, result: UploadResult, log: Logger): Promise<void> {
  const asset = located(result, upload);
  await destroyUnlessHeldElsewhere(deps, { ...upload, result: null }, asset).catch((error: unknown) => log.warn({ err: error, publicId: result.publicId }, 'could not remove the copy of an upload its mirror refused'));
}

/**
 * A job found its upload already final. If it was cancelled after a worker had started it, that
 * worker may have stored the asset and then died, or lost the database, before it could undo it;
 * destroying it here (idempotently) keeps the promise that a cancelled upload leaves no asset.
 */
async function cleanUpAfterCancel(deps: ProcessUploadDeps, uploadId: string): Promise<void> {
  const upload = await deps.uploads.find(uploadId);
  // No attempt, re-claim or retry: no worker ever ran it, so it cannot have made an asset.
  if (upload?.status !== 'cancelled' || (upload.attempts === 0 && upload.reclaimCount === 0 && upload.retryCount === 0)) return;
  const log = deps.logger.child({ uploadId, tenantId: upload.tenantId, jobId: uploadId });
  try {
    await destroyUnlessHeldElsewhere(deps, upload, assetOf(upload));
    await destroyStrayCopies(deps, upload, log);
    if (upload.storageKey) await deps.storage.delete(upload.storageKey);
  } catch (error) {
    log.warn({ err: error }, 'could not clean up after a cancelled upload');
  }
}

/** How often a running fetch checks whether its upload was cancelled, ms. */
const FETCH_WITHDRAWAL_CHECK_MS = 1_000;

/**
 * The upload's bytes in temp storage: a file upload's are there since the API accepted it; a URL
 * upload's are fetched on its first attempt (and again if a retry finds them gone).
 */
async function ensureBytes(deps: ProcessUploadDeps, upload: ClaimedUpload, log: Logger): Promise<FetchedBytes> {
  const { bytes, contentType, sha256, storageKey, sourceUrl } = upload;
  const known = bytes !== null && contentType !== null && sha256 !== null && storageKey !== null;
  if (known && (sourceUrl === null || (await deps.storage.exists(storageKey)))) return { bytes, contentType, sha256, storageKey };
  if (sourceUrl === null) throw new TempObjectMissingError(storageKey ?? '(none)');
  if (!deps.fetcher) throw new SourceFetchError('url_fetch_unavailable', 'This worker cannot fetch URL uploads.', false);
  // A cancellation must stop a slow download at once (and free its slot), not when it ends.
  const watch = watchWithdrawal(deps.uploads, upload.id, FETCH_WITHDRAWAL_CHECK_MS);
  let fetched: FetchedBytes;
  try {
    fetched = await deps.fetcher.fetch(sourceUrl, { signal: watch.signal });
  } catch (error) {
    if (watch.signal.aborted) throw new UploadWithdrawnError();
    throw error;
  } finally {
    watch.stop();
  }
  if (!(await deps.uploads.recordFetched(upload, fetched))) {
    await deps.storage.delete(fetched.storageKey);
    throw new UploadWithdrawnError();
  }
  log.info({ bytes: fetched.bytes, contentType: fetched.contentType }, 'source fetched');
  return fetched;
}

/**
 * The stored object is still the size accepted: temp storage may live on another host (an object
 * store), where something else can overwrite or truncate it. The sha256 is not re-read here: that
 * would cost a second full read of every file; the size costs one metadata request.
 * @throws TempObjectMissingError, TempObjectChangedError
 */
async function checkUnchanged(deps: ProcessUploadDeps, bytes: FetchedBytes): Promise<void> {
  const stored = await deps.storage.stat(bytes.storageKey);
  if (stored.bytes !== bytes.bytes) throw new TempObjectChangedError(bytes.storageKey, bytes.bytes, stored.bytes);
}

/**
 * The provider stored the asset but this run no longer owned the upload: cancelled or deleted while
 * this worker ran it (or taken over, or finished, by another run). A cancelled or deleted upload must not leave an
 * asset behind, so it is destroyed; best effort, logged when it fails.
 */
async function undoLateUpload(deps: ProcessUploadDeps, id: string, assets: readonly LocatedAsset[], log: Logger): Promise<void> {
  const current = await deps.uploads.find(id);
  // Otherwise another run owns it or finished it: the asset is at the same public id, so it is that
  // run's asset too, and nothing is undone.
  if (current?.status !== 'cancelled' && current?.status !== 'deleted') return;
  for (const asset of assets) {
    try {
      if (!(await destroyUnlessHeldElsewhere(deps, current, asset))) continue;
      log.info({ publicId: asset.publicId, provider: asset.provider }, `upload ${current.status} while running; its asset was removed`);
    } catch (error) {
      log.error({ err: error, publicId: asset.publicId, provider: asset.provider }, `upload ${current.status} while running; could not remove its asset`);
    }
  }
}

/** Opens `range` of the object (all of it without one) with its size checked as it streams; see sizeChecked. */
async function openChecked(storage: TempStorage, key: string, size: number, range: ByteRange | undefined): Promise<Readable> {
  const { start, end } = range ?? { start: 0, end: size - 1 };
  if (end < start) return sizeChecked(await storage.openRead(key), 0, key);
  // Up to the accepted end: one byte more, so a grown object shows.
  const readEnd = end === size - 1 ? size : end;
  return sizeChecked(await storage.openRead(key, { start, end: readEnd }), end - start + 1, key);
}

/** Worth another attempt after a backoff: the provider or the source failed transiently, or temp storage could not be reached. */
function isRetryable(error: unknown): boolean {
  return error instanceof RetryableProviderError || error instanceof TempStorageUnavailableError || (error instanceof SourceFetchError && error.retryable);
}

/** How a provider call that failed with `error` counts in the metrics. */
function callOutcome(error: ProviderError): ProviderCallOutcome {
  return error instanceof RateLimitedError ? 'rate_limited' : error instanceof PermanentProviderError ? 'permanent' : 'retryable';
}

function observeCall(deps: ProcessUploadDeps, outcome: ProviderCallOutcome, startedAt: number | undefined, provider: string): void {
  // A rate limit from the throttle itself (before any call) is not a provider call.
  if (startedAt === undefined) return;
  deps.observer?.providerCall?.(outcome, (performance.now() - startedAt) / 1000, provider);
}

/** Best effort: waiters fall back to re-reading Postgres when an announcement is lost. */
async function announce(deps: ProcessUploadDeps, event: UploadStatusEvent, log: Logger): Promise<void> {
  await (deps.events ?? SILENT_EVENTS).publish(event).catch((error: unknown) => log.warn({ err: error }, 'could not announce the status change'));
}

/** The failure to record, or undefined when the error should be retried as it is. */
function toFailure(error: unknown, isFinalAttempt: boolean): UploadFailure | undefined {
  if (error instanceof PermanentProviderError || error instanceof TempObjectMissingError || error instanceof TempObjectChangedError) {
    return { code: error.code, message: error.message };
  }
  if (error instanceof SourceFetchError && !error.retryable) return { code: error.code, message: error.message };
  if ((error instanceof ProviderError || error instanceof SourceFetchError || error instanceof TempStorageUnavailableError) && isFinalAttempt) {
    return { code: ATTEMPTS_EXHAUSTED, message: `Gave up after the last attempt: ${error.message}` };
  }
  return undefined;
}
