import { isFinal, type UploadStatus } from '@hoist/core';
import { LRUCache } from 'lru-cache';

/**
 * The rule, in one place: a view served from this cache was read from Postgres at most this long
 * ago, whatever else happens (a lost announcement, a change no one announced, a subscriber
 * connection that dropped). Announcements make it shorter, never longer.
 */
export const UPLOAD_VIEW_MAX_STALE_MS = 1_000;
/** Most views kept at once (each a serialized upload of about 1 KiB). */
export const UPLOAD_VIEW_MAX_ENTRIES = 10_000;
/** Most bytes of views kept at once (their JSON and ETags), whatever their number. */
export const UPLOAD_VIEW_MAX_BYTES = 16 * 1024 * 1024;

/** A serialized upload view as GET /v1/uploads/:id sends it, and its strong ETag. */
export interface CachedView {
  tenantId: string;
  status: UploadStatus;
  body: string;
  etag: string;
}

interface Entry extends CachedView {
  /** When the row was read from Postgres, by the monotonic clock (performance.now(): a wall-clock step can't stretch the bound); served until read + UPLOAD_VIEW_MAX_STALE_MS. */
  readAt: number;
}

/** Taken before a read from Postgres, handed to {@link UploadViewCache.remember} after it. */
export interface ReadMark {
  readonly at: number;
  readonly epoch: number;
}

/**
 * Serialized views of uploads in final states (succeeded, failed, cancelled, deleted), per API
 * process, so a status poll of a finished upload costs no database read. Final is not immutable
 * (failed → queued by a retry, any final → deleted), and other API processes and workers make those
 * changes, so an entry lives for at most {@link UPLOAD_VIEW_MAX_STALE_MS} from the read it came from,
 * and goes earlier when:
 * - an announcement for the upload arrives on the upload-events channel (`invalidate`): workers
 *   announce final statuses, and every API process announces its own retries, cancels and deletes;
 * - the subscription is not up (`suspend`: the subscriber connection closed, so announcements may
 *   be lost): the cache empties and serves nothing until `resume` (subscribed again);
 * - a read that began before an invalidation or a suspension ends: it is not remembered (`epoch`),
 *   so a view read before a change cannot come back after the announcement of that change.
 * Entries carry their tenant and are served only to it: another tenant's id is a miss, which
 * Postgres answers with the same 404 as before. Least recently used views go first past
 * {@link UPLOAD_VIEW_MAX_ENTRIES}.
 */
export class UploadViewCache {
  private readonly views: LRUCache<string, Entry>;
  private epoch = 0;
  private active = false;

  constructor(
    private readonly options: { maxStaleMs?: number; maxEntries?: number; maxBytes?: number; now?: () => number } = {},
  ) {
    // Bounded in entries and in bytes: a view with many tags, metadata and long URLs is several KiB.
    this.views = new LRUCache({ max: options.maxEntries ?? UPLOAD_VIEW_MAX_ENTRIES, maxSize: options.maxBytes ?? UPLOAD_VIEW_MAX_BYTES, sizeCalculation: (entry) => entry.body.length + entry.etag.length + entry.tenantId.length + 64 });
  }

  private now(): number {
    return this.options.now?.() ?? performance.now();
  }

  private get maxStaleMs(): number {
    return this.options.maxStaleMs ?? UPLOAD_VIEW_MAX_STALE_MS;
  }

  /** The tenant's view of upload `id`, if one read within the bound is kept. */
  get(id: string, tenantId: string): CachedView | undefined {
    const entry = this.views.get(id);
    if (!entry) return undefined;
    if (this.now() - entry.readAt >= this.maxStaleMs) {
      this.views.delete(id);
      return undefined;
    }
    return entry.tenantId === tenantId ? entry : undefined;
  }

  /** Call just before reading an upload from Postgres. */
  mark(): ReadMark {
    return { at: this.now(), epoch: this.epoch };
  }

  /** Keeps a view read since `mark`, if its upload is final and nothing was invalidated meanwhile. */
  remember(id: string, view: CachedView, mark: ReadMark): void {
    if (!this.active || mark.epoch !== this.epoch || !isFinal(view.status)) return;
    this.views.set(id, { ...view, readAt: mark.at });
  }

  /** The upload changed (an announcement, or this process changed it): its view goes. */
  invalidate(id: string): void {
    this.epoch += 1;
    this.views.delete(id);
  }

  /** Announcements may be lost from now on: forget everything and keep nothing until `resume`. */
  suspend(): void {
    this.active = false;
    this.epoch += 1;
    this.views.clear();
  }

  /** Subscribed: announcements arrive again. */
  resume(): void {
    this.epoch += 1;
    this.active = true;
  }

  get size(): number {
    return this.views.size;
  }
}

/** What the cache follows: the subscriber connection's state (ioredis events). */
export interface SubscriptionState {
  on(event: 'close' | 'end' | 'reconnecting' | 'ready', listener: () => void): unknown;
}

/**
 * Keeps `cache` active only while `connection` is subscribed: suspended when it closes (announcements
 * sent meanwhile are lost), resumed when it is ready again (ioredis subscribes again on reconnect).
 * Call once the first subscription has been made.
 */
export function followSubscription(cache: UploadViewCache, connection: SubscriptionState): void {
  for (const event of ['close', 'end', 'reconnecting'] as const) connection.on(event, () => cache.suspend());
  connection.on('ready', () => cache.resume());
  cache.resume();
}
