import type { Upload } from '../upload.js';

/**
 * Events an endpoint can subscribe to: an upload reaching each final status. `upload.deleted` is
 * sent once uploads can be deleted (status `deleted`).
 */
export const WEBHOOK_EVENT_TYPES = ['upload.succeeded', 'upload.failed', 'upload.cancelled', 'upload.deleted'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * Endpoints one tenant may register. Also the most endpoints one event fans out to, so a tenant's
 * outbound traffic per event stays bounded even if rows from before the cap was enforced exceed it.
 */
export const MAX_WEBHOOK_ENDPOINTS_PER_TENANT = 20;

/** A URL a tenant registered to receive events. */
export interface WebhookEndpoint {
  id: string;
  tenantId: string;
  url: string;
  /** Event types it receives; never empty. */
  events: WebhookEventType[];
  /** The HMAC key deliveries are signed with. Shown to the tenant once, when the endpoint is created. */
  secret: string;
  createdAt: Date;
}

/** Something that happened to an upload, recorded in the same transaction as the change itself. */
export interface WebhookEvent {
  /** Stable across every delivery and retry, so receivers can deduplicate. */
  id: string;
  tenantId: string;
  type: WebhookEventType;
  uploadId: string;
  /** The upload as the change left it. */
  upload: Upload;
  createdAt: Date;
}

/** Where a delivery stands: `pending` while attempts remain, then `succeeded` or `failed` for good. */
export type WebhookDeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** One POST of an event to an endpoint. */
export interface WebhookAttempt {
  /** 1 for the first attempt at a delivery. */
  attempt: number;
  startedAt: Date;
  durationMs: number;
  /** The receiver's HTTP status, when it answered. */
  statusCode: number | null;
  /** Why it failed without a usable answer (timeout, refused address, connection reset…). */
  error: string | null;
  /** A 2xx answer. */
  succeeded: boolean;
}

/** One event to one endpoint, with every attempt so far. */
export interface WebhookDelivery {
  /** Time-ordered (UUIDv7): lists page by it. */
  id: string;
  endpointId: string;
  eventId: string;
  eventType: WebhookEventType;
  uploadId: string;
  status: WebhookDeliveryStatus;
  createdAt: Date;
  updatedAt: Date;
  completedAt: Date | null;
  /** Oldest first. */
  attempts: WebhookAttempt[];
}

/** What a delivery job needs: the delivery's state, where to send and the event to send. */
export interface DeliveryWork {
  deliveryId: string;
  status: WebhookDeliveryStatus;
  /** Attempts already started. */
  attempts: number;
  endpoint: Pick<WebhookEndpoint, 'id' | 'url' | 'secret'>;
  event: WebhookEvent;
}
